import {parseSlaPolicyFile} from './policy-file.js';
import type {SlaPolicySet} from './policy.js';

/**
 * What the local backend applies until a policy file is imported, written in the policy
 * file's own format so that `sla policy view` can show it and the validator vouches for it.
 * Office hours are read in UTC because a fresh data dir knows nothing about where its team
 * sits; importing a file with the team's own calendar is the expected next step.
 */
export const DEFAULT_SLA_POLICY_FILE = {
  calendars: [
    {
      name: 'business-hours',
      timezone: 'UTC',
      hours: {
        mon: ['09:00-17:00'],
        tue: ['09:00-17:00'],
        wed: ['09:00-17:00'],
        thu: ['09:00-17:00'],
        fri: ['09:00-17:00'],
      },
      holidays: [],
    },
  ],
  policies: [
    {
      // Urgent work does not wait for the office to open.
      name: 'urgent',
      match: {priority: ['urgent']},
      calendar: '24x7',
      targets: {firstResponse: '1h', nextResponse: '2h', resolution: '8h'},
      pauseOn: ['pending', 'on_hold'],
    },
    {
      name: 'high',
      match: {priority: ['high']},
      calendar: 'business-hours',
      targets: {firstResponse: '4h', nextResponse: '8h', resolution: '24h'},
      pauseOn: ['pending', 'on_hold'],
    },
    {
      name: 'standard',
      match: {},
      calendar: 'business-hours',
      targets: {firstResponse: '8h', nextResponse: '16h', resolution: '40h'},
      pauseOn: ['pending', 'on_hold'],
    },
  ],
} as const;

export const DEFAULT_SLA_POLICY_SET: SlaPolicySet = parseSlaPolicyFile(DEFAULT_SLA_POLICY_FILE, '(built-in default)');

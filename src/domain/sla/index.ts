/** The SLA domain: business calendars, policies, the policy-file validator and the engine. */
export {
  addBusinessMs,
  addBusinessSeconds,
  type BusinessCalendar,
  businessMsBetween,
  businessRanges,
  businessSecondsBetween,
  CALENDAR_24X7,
  CALENDAR_24X7_NAME,
  formatOpeningInterval,
  hasOpeningHours,
  type Instant,
  type OpeningInterval,
  parseOpeningInterval,
  type Weekday,
  WEEKDAYS,
} from './calendar.js';
export {DEFAULT_SLA_POLICY_FILE, DEFAULT_SLA_POLICY_SET} from './default-policy.js';
export {formatDuration, parseDuration} from './duration.js';
export {
  evaluateSla,
  metricToJson,
  type SlaEvaluation,
  type SlaMetricJson,
  type SlaMetricResult,
  type SlaMetricStatus,
  type SlaTicket,
} from './engine.js';
export {
  formatProblem,
  parseSlaPolicyFile,
  type PolicyFileProblem,
  type PolicyFileResult,
  pointerToProblemPath,
  policySetToFile,
  problemPathToPointer,
  SlaPolicyFileError,
  validateSlaPolicyFile,
} from './policy-file.js';
export {
  findCalendar,
  matchPolicy,
  policyMatches,
  SLA_METRICS,
  type SlaMetric,
  type SlaPolicy,
  type SlaPolicyMatch,
  type SlaPolicySet,
  type SlaTicketAttributes,
} from './policy.js';
export {isValidTimeZone} from './time-zone.js';
export {type EffectivePolicySet, type EffectiveVersion, evaluateTicketSla, versionInForce} from './versions.js';

import {Args, Flags} from '@oclif/core';

import {BACKEND_KINDS, backendNeedsToken} from '../../backends/registry.js';
import {BaseCommand} from '../../cli/base-command.js';
import {ROLES} from '../../domain/ticket.js';
import {addProfile, type ProfileSummary} from '../../services/profiles.js';

export type ProfileAddResult = ProfileSummary;

export default class ProfileAdd extends BaseCommand<typeof ProfileAdd> {
  static override summary = 'Add a profile: a backend and where to find it.';
  static override description =
    'Each backend kind says which settings it takes: rest, zendesk and freshdesk need --url; zendesk takes --email for its API tokens ' +
    '(without it the token is an OAuth access token); github needs --repo owner/name (and --url only for GitHub Enterprise ' +
    'Server\'s API root); --option key=value sets anything further the backend declares. ' +
    'Log in afterwards with `support auth login --profile NAME`.';

  static override examples = [
    '<%= config.bin %> <%= command.id %> work --backend zendesk --url https://acme.zendesk.com --email agent@acme.com',
    '<%= config.bin %> <%= command.id %> work --backend zendesk --url https://acme.zendesk.com --email agent@acme.com --option group=360001234567',
    '<%= config.bin %> <%= command.id %> oss --backend github --repo octo-org/widgets',
    '<%= config.bin %> <%= command.id %> ghe --backend github --repo platform/tools --url https://github.example.com/api/v3 --option "priority-labels=high=P1,urgent=P0"',
    '<%= config.bin %> <%= command.id %> fd --backend freshdesk --url https://acme.freshdesk.com',
    '<%= config.bin %> <%= command.id %> team --backend rest --url https://support.example.com',
    '<%= config.bin %> <%= command.id %> triage --backend local --as agent',
  ];

  static override args = {name: Args.string({description: 'Profile name.', required: true})};
  static override flags = {
    backend: Flags.string({description: `Backend kind: ${BACKEND_KINDS.join(', ')}, or one a plugin adds (support plugins list).`, required: true}),
    url: Flags.string({description: 'Base URL of a remote backend.'}),
    email: Flags.string({description: 'Login email that goes with an API token (zendesk).'}),
    repo: Flags.string({description: 'Repository whose issues are the tickets, as owner/name (github).'}),
    option: Flags.string({description: 'A backend setting as key=value (repeatable); each backend lists its own.', multiple: true}),
    as: Flags.option({options: ROLES, description: 'Role to act as on the local backend (default customer).'})(),
    user: Flags.string({description: 'User name to act as on the local backend (default: your login name).'}),
  };

  async run(): Promise<ProfileAddResult> {
    const {flags} = this;
    const profile = await addProfile(this.ctx.profiles, {
      name: this.args.name,
      backend: flags.backend,
      url: flags.url,
      email: flags.email,
      repo: flags.repo,
      options: flags.option,
      as: flags.as,
      user: flags.user,
    });
    const login = !backendNeedsToken(profile.backend) ? '' : ` Then log in: support auth login --profile ${profile.name}`;
    this.note(`Added profile "${profile.name}" (${profile.backend}). Use it with --profile ${profile.name}, or make it the default: support profile use ${profile.name}.${login}`);
    return profile;
  }
}

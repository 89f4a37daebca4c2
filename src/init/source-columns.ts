/**
 * The columns pqlsync's models read from each source (the staging models, and deal_sync from
 * trials and subscriptions), with what each one holds.
 * `pqlsync init` writes one view per source (models/staging/src_<source>.sql) that renames the
 * user's columns to these, so the shipped models run unchanged on the user's own tables.
 * A model that starts reading another source column must add it here: the init test builds the
 * scaffolded project and fails on a column the view lacks.
 */
export interface SourceColumn {
  name: string;
  describe: string;
  /** The type the models compare or add it as (`pqlsync doctor` checks a text column against it). */
  type?: 'timestamp' | 'number';
}

export interface SourceSpec {
  /** The source name, as models write it: {{ source('users') }}. */
  name: string;
  describe: string;
  columns: SourceColumn[];
}

export const SOURCE_SPECS: SourceSpec[] = [
  {
    name: 'users',
    describe: 'one row per product user',
    columns: [
      { name: 'user_id', describe: 'the user id' },
      { name: 'account_id', describe: 'the workspace or account the user belongs to' },
      { name: 'email', describe: 'email address (cleaned and lower-cased by stg_users)' },
      { name: 'first_name', describe: 'first name' },
      { name: 'last_name', describe: 'last name' },
      { name: 'job_title', describe: 'job title, as entered' },
      { name: 'role', describe: 'role in the workspace (owner, admin, member...)' },
      { name: 'signup_at', describe: 'signup time (timestamp)', type: 'timestamp' },
      { name: 'company_domain', describe: 'company domain the user gave, used when the email is free-mail' },
    ],
  },
  {
    name: 'accounts',
    describe: 'one row per workspace or account',
    columns: [
      { name: 'account_id', describe: 'the account id' },
      { name: 'name', describe: 'account name' },
      { name: 'domain', describe: 'company web domain' },
      { name: 'employees', describe: 'company size (number)', type: 'number' },
      { name: 'industry', describe: 'industry (matched against models/config/icp_industries.sql)' },
      { name: 'country', describe: 'country code' },
      { name: 'plan', describe: 'plan: free, trial, pro, business or enterprise' },
      { name: 'seats', describe: 'seats (number)', type: 'number' },
      { name: 'created_at', describe: 'creation time (timestamp)', type: 'timestamp' },
    ],
  },
  {
    name: 'events',
    describe:
      'product events; the features count event_name values login, feature_used, activation_reached, onboarding_completed, ' +
      'teammate_invited, integration_connected, paywall_hit, usage_limit_hit, premium_feature_attempted, ' +
      'enterprise_feature_attempted, billing_page_viewed (map yours in the view)',
    columns: [
      { name: 'event_id', describe: 'unique event id' },
      { name: 'user_id', describe: 'the user who acted' },
      { name: 'account_id', describe: 'the account it happened in' },
      { name: 'event_name', describe: 'event name' },
      { name: 'feature', describe: 'feature or integration involved, if any' },
      { name: 'occurred_at', describe: 'event time (timestamp)', type: 'timestamp' },
    ],
  },
  {
    name: 'trials',
    describe: 'one row per trial',
    columns: [
      { name: 'trial_id', describe: 'trial id' },
      { name: 'account_id', describe: 'the account on trial' },
      { name: 'user_id', describe: 'the user who started it (the deal goes to their contact)' },
      { name: 'plan', describe: 'plan on trial: pro, business or enterprise' },
      { name: 'status', describe: 'active, converted or expired' },
      { name: 'started_at', describe: 'trial start (timestamp)', type: 'timestamp' },
      { name: 'ends_at', describe: 'trial end (timestamp)', type: 'timestamp' },
    ],
  },
  {
    name: 'subscriptions',
    describe: 'one row per paid subscription',
    columns: [
      { name: 'account_id', describe: 'the paying account' },
      { name: 'started_at', describe: 'start (timestamp)', type: 'timestamp' },
      { name: 'ended_at', describe: 'end (timestamp; empty while active)', type: 'timestamp' },
      { name: 'plan', describe: 'plan paid for: pro, business or enterprise' },
      { name: 'seats', describe: 'seats paid for (number)', type: 'number' },
      { name: 'mrr', describe: 'monthly recurring revenue (number)', type: 'number' },
    ],
  },
];

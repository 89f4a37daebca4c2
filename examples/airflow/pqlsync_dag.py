"""
pqlsync on Airflow: one task per run that builds the models, tests them and sends what
changed to HubSpot (`pqlsync run`). It calls the CLI as a BashOperator would and lets the
exit code decide what Airflow does, so retries are spent only where they can help:

    0  success
    1  internal error (a bug or an error pqlsync did not expect)      -> retried
    2  configuration error (pqlsync.yml, settings, command line)      -> failed, no retry
    3  a model failed to build or a model test failed                 -> failed, no retry
    4  warehouse error                                                -> retried
    5  HubSpot failed as a whole (unreachable, out of retries, daily) -> retried
    6  HubSpot rejected the token or its scopes                       -> failed, no retry
    7  finished, some rows rejected (kept in row errors, retried
       by the next run)                                               -> success with a warning
    8  another run of the sync holds the lock                         -> skipped
    9  a guardrail stopped a suspicious model change                  -> failed, no retry
                                                                         (review, then --force)
   10  `pqlsync doctor` found a problem (if a task runs doctor)       -> failed, no retry

Exit code 7 is treated as a success with a warning because the run did finish and state is
committed; retrying the task would only retry the same bad rows at once. Set
ROWS_FAILED_FAILS_TASK = True to make it fail the task (without retry) instead.

pqlsync reads HUBSPOT_ACCESS_TOKEN and the warehouse's secrets from the environment: keep
them in an Airflow connection or a secrets backend and pass them through `env` below.
On a task timeout Airflow sends SIGTERM: pqlsync finishes the batch under way, commits what
HubSpot acknowledged, and the next run goes on from there.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.hooks.subprocess import SubprocessHook
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator
    from airflow.hooks.subprocess import SubprocessHook

PROJECT_DIR = os.environ.get("PQLSYNC_PROJECT_DIR", "/opt/pqlsync-project")
ROWS_FAILED_FAILS_TASK = False

RETRY = {1, 4, 5, 130}
NO_RETRY = {2, 3, 6, 9, 10}
ROWS_FAILED = 7
LOCK_HELD = 8
DEFERRED = 11


class PqlsyncOperator(BashOperator):
    """A BashOperator whose exit code decides between success, retry, failure and skip."""

    def execute(self, context):
        env = {**os.environ, **(self.env or {})}
        result = SubprocessHook().run_command(
            command=["bash", "-c", self.bash_command],
            env=env,
            cwd=self.cwd,
        )
        code = result.exit_code
        if code == 0:
            return result.output
        if code == ROWS_FAILED and not ROWS_FAILED_FAILS_TASK:
            self.log.warning("pqlsync: some rows were rejected; they are retried by the next run (pqlsync status lists them)")
            return result.output
        if code == LOCK_HELD:
            raise AirflowSkipException("pqlsync: another run of this sync holds the lock; this run is skipped")
        if code == DEFERRED:
            self.log.warning("pqlsync: the portal's daily budget covered only the most important changes; the next run after the reset sends the rest")
            return result.output
        if code in NO_RETRY or code == ROWS_FAILED:
            raise AirflowFailException(f"pqlsync exited with {code}: fix the cause (see the log); retrying cannot help")
        raise AirflowException(f"pqlsync exited with {code}: retrying")


with DAG(
    dag_id="pqlsync",
    description="Build PQL models in the warehouse and sync what changed to HubSpot",
    schedule="17 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    # Runs never overlap: pqlsync's lock would refuse a second one (exit 8) anyway.
    max_active_runs=1,
    default_args={
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=1),
    },
    tags=["pqlsync", "hubspot"],
) as dag:
    PqlsyncOperator(
        task_id="pqlsync_run",
        # --json: one JSON event per line in the task log, for log search and alerts.
        bash_command="npx pqlsync run --json",
        cwd=PROJECT_DIR,
        env={
            "HUBSPOT_ACCESS_TOKEN": "{{ var.value.hubspot_access_token }}",
        },
        append_env=True,
    )

-- 0005: what the CLI's second service (cfapi, issue 21) keeps.

-- One row per optimized function (trace), written by POST /cfapi/mark-as-success: whether the CLI
-- found an optimization. Sending it again for the same trace updates the row.
CREATE TABLE optimization_events (
    trace_id           text PRIMARY KEY,
    user_id            text NOT NULL,
    optimization_found boolean NOT NULL,
    created            timestamptz NOT NULL DEFAULT now(),
    updated            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX optimization_events_user_idx ON optimization_events (user_id, created);

-- POST /cfapi/create-staging: an optimization kept for review instead of a pull request.
CREATE TABLE staging_reviews (
    trace_id text PRIMARY KEY,
    user_id  text NOT NULL,
    payload  jsonb NOT NULL,
    created  timestamptz NOT NULL DEFAULT now(),
    updated  timestamptz NOT NULL DEFAULT now()
);

-- Pull requests the engine opened or suggested changes to. target_number is the pull request the
-- optimization belongs to: the one opened (create-pr, setup-github-actions), or the one suggested
-- on (suggest-pr-changes; number is then the dependent pull request, if one was opened).
CREATE TABLE pull_requests (
    id            bigserial PRIMARY KEY,
    user_id       text NOT NULL,
    trace_id      text,
    kind          text NOT NULL CHECK (kind IN ('create', 'suggest', 'dependent', 'actions')),
    owner         text NOT NULL,
    repo          text NOT NULL,
    target_number integer NOT NULL,
    number        integer,
    url           text,
    function_name text,
    file_path     text,
    created       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pull_requests_target_idx ON pull_requests (owner, repo, target_number);

-- POST /cfapi/add-code-hash: a function's code-context hash seen in a pull request, so that the
-- same code is not optimized again in that pull request (is-already-optimized).
CREATE TABLE pr_code_hashes (
    owner     text NOT NULL,
    repo      text NOT NULL,
    pr_number integer NOT NULL,
    code_hash text NOT NULL,
    user_id   text NOT NULL,
    created   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, repo, pr_number, code_hash)
);

-- POST /cfapi/send-completion-email: asked for, and whether mail was sent.
CREATE TABLE completion_emails (
    id      bigserial PRIMARY KEY,
    user_id text NOT NULL,
    owner   text NOT NULL,
    repo    text NOT NULL,
    sent    boolean NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);

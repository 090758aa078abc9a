-- Login throttling that holds under concurrency: one counter row per account and per client
-- address, reserved by a single INSERT … ON CONFLICT before any password is hashed (the row
-- lock serialises parallel guesses). Replaces login_failures, whose count was read before the
-- hash and written after it.
CREATE TABLE login_attempts (
    key          text PRIMARY KEY CHECK (length(key) <= 200),
    window_start timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0
);

CREATE INDEX login_attempts_window ON login_attempts (window_start);

DROP TABLE login_failures;

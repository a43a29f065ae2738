"""The exit statuses of the `translator` command."""

EXIT_FAILED_FILES = 1  # batch: some files failed; the others were translated
EXIT_STAGE_FAILED = 1  # live: a stage failed during the session
EXIT_VERIFY_FAILED = 1  # models verify: some installed model failed its check
EXIT_USAGE = 2  # a failure the user can act on, told in one line
EXIT_INTERNAL = 3  # a bug: one line here, the traceback in the log
EXIT_INTERRUPTED = 130  # Ctrl+C; SIGTERM and SIGHUP end it as 128 + their number (143, 129), as the shell reports
EXIT_BROKEN_PIPE = 128 + 13  # as if SIGPIPE ended it, like other command-line tools

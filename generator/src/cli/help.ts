/** Help texts, one per command; `eventsmith <command> --help` prints them. */
export const HELP: Record<string, string> = {
  main: `eventsmith — generate typed event-sourcing code from domain YAML

Usage: eventsmith <command> [options]

Commands:
  generate   Generate TypeScript from the domain YAML (add --watch to keep going, --check for CI)
  validate   Check the domain YAML and report every problem, then flow warnings (--strict refuses them)
  init       Create a project that runs: config, starter domain, app on SQLite, test, scripts
  migrate    Create or upgrade the store, subscription and projection tables; rebuild what a migration emptied (--db <url>)
  check      List breaking changes to published events against a git ref or lock file (--against, for CI)
  docs       Write a browsable catalog of each domain: Markdown pages, Mermaid diagrams, AsyncAPI (--check for CI)
  studio     A local web console for a store: streams, timelines, state at any version, dead letters (--db <url>)
  store-id   Print the store id a database keeps (its positions carry it), or change it: store-id set <id> (--db <url>)

Operations (each with --db <url>, --tenant <id> and --format json):
  events         tail [--limit <n>] [--follow] | show <stream> [--at <version>]
  subscriptions  status: checkpoint, lag in events and seconds, dead letters of each subscription
  dlq            list [--subscription <name>] [--status <s>] | retry <id> | retry --subscription <name>|--all | resolve <id>
  projections    rebuild <name>: replay a projection into new tables and swap them in
                 | forget <name>: drop what the database keeps of a removed one

Options for every command:
  --config <file>        The config file (default: eventsmith.config.yaml here or in a parent folder)
  --format <text|json>   json: one JSON document on stdout, the result or { "errors": [...] }, for tools
  -h, --help             Help for a command: eventsmith generate --help
  -v, --version          Print the version of eventsmith

Run \`eventsmith init\` in an empty folder to start.`,

  generate: `Usage: eventsmith generate [--watch | --check] [--strict] [--no-cache] [--config <file>] [--format text|json]

Loads and validates every domain in the config, then writes the generated code:
events, upcasters, aggregate base classes, projections and migrations into each domain's
\`output\` folder, and creates the user-owned files (aggregate classes, custom upcasters and
projection handlers) in \`userDir\`. Files are written only when their content changed.
User-owned files are never rewritten: later runs only add missing handler stubs, methods and imports,
and only to a file that parses (a syntax error there is reported at its line; nothing is written).
\`events.lock.json\` in the output folder records every event version generated; commit it. A
recorded version is published: changing it in place in a way that breaks stored events or older
consumers is refused (EVENT.BREAKING_CHANGE, at the YAML line): declare a new version instead.
If any domain is invalid, every error is printed and nothing is written. It warns when the
package.json above the generated code makes Node load it as CommonJS (set "type": "module").

Options:
  -w, --watch            Regenerate after each saved change to the YAML (debounced). Invalid YAML
                         prints the errors and keeps the last good output; stop with Ctrl-C.
  --debounce <ms>        Quiet period before a watch run (default 100)
  --check                Write nothing; print a diff of every file that would change or be removed,
                         and exit with status 1 if there is any (use it in CI)
  --strict               Refuse flow warnings (see \`eventsmith validate --help\`) and write nothing;
                         without it they are printed after the report
  --no-cache             Format every file again: by default prettier's results are kept in
                         node_modules/.cache/eventsmith and reused for code emitted the same way
                         again, also by the first run of --watch (the output is the same either way)
  --config <file>        The config file
  --format json          { "errors", "warnings", "info", "changes": [{ "path", "kind" }], "unchanged",
                         "fileWarnings" } on stdout (with --check: what would change, without a diff)

Exit status: 0 done (or up to date), 1 invalid YAML, a user-owned file to add to has a syntax
error, --strict refused warnings or --check found changes, 2 usage error.`,

  validate: `Usage: eventsmith validate [--strict] [--config <file>] [--format text|json]

Loads every domain in the config and reports every problem in one run, each with
file:line:col, the YAML path, what is wrong and how to fix it. Writes nothing.
Then it checks the flow of a valid domain and prints, each at its YAML line:
  warning  FLOW.UNUSED_TYPE        a type under types: that no event, state or command uses
  warning  FLOW.COLUMN_NEVER_SET   a projection column that no handler sets and has no default
  info     FLOW.EVENT_UNREAD       the events no projection or reaction reads, once per domain

Options:
  --strict               Refuse warnings: exit with status 1 if there is any (use it in CI)
  --format json          { "errors": [...], "warnings": [...], "info": [...] } on stdout

Exit status: 0 valid (warnings allowed without --strict), 1 invalid or --strict refused
warnings, 2 usage error.`,

  init: `Usage: eventsmith init [--name <Domain>] [--dir <folder>]

Creates a project that runs, in --dir (default: the current folder), which must be empty or
hold only a package.json:
  package.json                scripts generate, build, start, test, typecheck and their dependencies
                              (an existing package.json is merged: your fields and scripts are kept)
  tsconfig.json               strict, ES modules (tsconfig.build.json compiles src/ to dist/)
  eventsmith.config.yaml      the config (input, output and user folders)
  domain/<name>.yaml          a small domain: an aggregate, events, commands, an upcaster, a projection
  src/<name>/aggregates/      the aggregate class, its command and event handlers written
  src/main.ts                 a program on SQLite; src/<name>/todo-list.test.ts, a test (vitest)
Existing files are never overwritten. Then: npm install && npm start.

Options:
  --name <Domain>   The domain name, in PascalCase (default: Todo)
  --dir <folder>    Where to create the project (default: .)

Exit status: 0 created, 1 a file it would write is already there, 2 usage error (a --name that is
not PascalCase).`,

  check: `Usage: eventsmith check --against <git ref | lock file> [--config <file>] [--format text|json]

Compares today's domain YAML with the event lock (events.lock.json in each domain's output
folder) of another revision, and lists every breaking change to a published event version, each
at its YAML file:line:col with a fix: a field removed, retyped or newly required, an enum narrowed
or widened, a version lowered, an event deleted or a former name dropped. Changes that break
neither stored events nor older consumers pass (the table is in the schema's FORMAT.md). Reads the ref with git; needs no database.

  --against <ref>    A git ref or commit (origin/main, HEAD~1, a tag): each domain's lock at that
                     revision, read with \`git show\`. Fetch it first in a shallow CI checkout.
  --against <file>   An events.lock.json on disk: the domain it records.
  --format json      { "against": …, "errors": [...] } on stdout

In CI, on a pull request:
  eventsmith check --against origin/\$GITHUB_BASE_REF

Exit status: 0 no breaking changes, 1 breaking changes or invalid YAML, 2 usage error.`,

  docs: `Usage: eventsmith docs [--out <folder>] [--check] [--config <file>] [--format text|json]

Writes a catalog of each domain into <folder>/<domain>/ (default docs/<domain>/, e.g. docs/bank/):
  README.md               the aggregates, a Mermaid diagram of the whole flow (command → event →
                          projection table), every event with its versions and the projections
                          that read it, and the projections
  aggregates/<name>.md    one page per aggregate: commands and their parameters, events with every
                          version, the upcast steps between them and a version diagram, the state,
                          and the snapshot policy
  asyncapi.json           an AsyncAPI 3 document of the bus channel, one message per event version,
                          payloads as JSON Schema
The output is deterministic (no timestamps): commit it, and check it in CI like the code. Files
are written only when their content changed; pages no longer emitted are removed.

Options:
  --out <folder>         The base folder, inside the project and outside every domain's \`output\`
                         (default docs)
  --check                Write nothing; print a diff of every page that would change, and exit
                         with status 1 if there is any (use it in CI after \`generate --check\`)
  --format json          { "dirs", "changes": [{ "path", "kind" }], "unchanged", "warnings" } on stdout

Exit status: 0 done (or up to date), 1 invalid YAML or --check found changes, 2 usage error (an
--out outside the project or in a domain's output folder).`,

  studio: `Usage: eventsmith studio --db <url> [--allow-writes] [--tenant <id>] [--port <n>] [--host <address> --token <secret>]

Serves a web console for the event store at <url> and this project's generated code, at
http://127.0.0.1:5555 until Ctrl-C:
  Streams          list, search by id, filter by aggregate type and tenant
  An aggregate     its timeline (payload, metadata, version, the events it caused and its cause)
                   and its state at any version, rebuilt with your aggregate class, with a diff
  Live feed        new events as they are stored; the store's error when it fails (the feed
                   reconnects by itself and goes on after the last event shown)
  Subscriptions    each checkpoint's position and lag (events, seconds), charted while open;
                   one row per subscription and scope (unscoped, or a tenant's own checkpoint),
                   whose dead-letter count links to the dead letters that row counts
  Dead letters     list, filter (status, subscription, tenant or the unscoped subscriptions'),
                   inspect the error, retry through the projection, resolve
  Domain           a diagram of the commands, events and projections in the YAML
Run \`eventsmith generate\` first: the studio imports the generated registry and projections and the
aggregate classes in each domain's userDir.

Options:
  --db <url>          sqlite:<file> (or a path ending in .db/.sqlite), postgres://…, mysql://…
                      Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --allow-writes      Allow retrying and resolving dead letters (read-only without it: refused with 403)
  --tenant <id>       Show one tenant's streams, events, checkpoints and dead letters only
  --port <n>          Default 5555; 0 picks a free port
  --host <address>    Default 127.0.0.1 (this machine only). Any other address needs a token.
  --token <secret>    Every request must carry it (the printed URL does, once; then a cookie).
                      Default: the EVENTSMITH_STUDIO_TOKEN environment variable.
  --format json       Print { "url", "tenant", "allowWrites" } once the studio listens

Exit status: 0 stopped, 1 the store or the generated code could not be opened, 2 usage error (a
--db URL of no known database, a bad --port, --host without a token).`,

  events: `Usage: eventsmith events tail --db <url> [--limit <n>] [--follow] [--tenant <id>] [--format text|json]
       eventsmith events show <stream> --db <url> [--at <version>] [--tenant <id>] [--format text|json]

tail   The last events of the global feed (default 20), oldest first: position, time, stream@version,
       type and data. --follow keeps printing new events until Ctrl-C (text only).
show   Every event of one stream (e.g. BankAccount-acc-1) with its data, metadata, correlation, the
       event that caused it and the events it caused. --at <version> prints instead the aggregate's
       state after that version (0: before its first event), rebuilt with your aggregate class, and
       what that version changed.

Options:
  --db <url>             sqlite:app.db, postgres://user@host/db or mysql://user@host/db
                         Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --tenant <id>          Only this tenant's events
  --config <file>        The config file (its generated code decodes the events)
  --format json          { "events": [...] }, or with --at { "streamId", "version", "state", "diff" }

Exit status: 0 done, 1 the store could not be read or the operation failed, 2 usage error (a
missing or unknown sub-command, argument or flag, a --db URL of no known database).`,

  subscriptions: `Usage: eventsmith subscriptions status --db <url> [--tenant <id>] [--format text|json]

Every subscription with a checkpoint in the store, and every projection of the project's code:
its position, lag in events (10000+ when past the counting limit) and in seconds (age of the
oldest event it has not handled), dead letters waiting, and when its checkpoint last moved.

One row per subscription and scope. A subscription run on the unscoped store (tenant -) reads
every tenant's events; one run per tenant (store.forTenant) has a checkpoint, and a row, for each
tenant. A row's position, lag and dead letters are its scope's: a tenant's row counts that
tenant's events and dead letters. A dead letter counts in its event's tenant's row when the
subscription has a checkpoint of that tenant, otherwise in its unscoped row (or, without one, in
a row of that tenant not started yet), so each dead letter is counted once. A projection with no
checkpoint anywhere is listed once, not started. The tenant column is shown when a row has one.
A projection whose table a projection migration emptied or reset, and that has not been rebuilt
since, shows \`needed\` in a rebuild column, with a line naming the migration and the command
(\`eventsmith projections rebuild <name>\`, or \`eventsmith migrate\`; for a name that is no longer
a projection of the project, \`eventsmith projections forget <name>\`, which also removes its rows).

Options:
  --db <url>             sqlite:app.db, postgres://user@host/db or mysql://user@host/db
                         Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --tenant <id>          Only this tenant's checkpoints and dead letters
  --format json          { "subscriptions": [{ "name", "tenantId" (null: the unscoped store's),
                         "projection", "position", "updatedAt", "lagEvents", "lagCapped",
                         "lagSeconds", "deadLetters": { "pending", "retrying", "resolved" },
                         "lastError", "throughput", "needsRebuild" (null, or { "migration",
                         "since" }) }] }: one entry per name and tenantId

Exit status: 0 done, 1 the store could not be read or the operation failed, 2 usage error (a
missing or unknown sub-command, argument or flag, a --db URL of no known database).`,

  dlq: `Usage: eventsmith dlq list --db <url> [--subscription <name>] [--status pending|retrying|resolved] [--limit <n>] [--tenant <id> | --unscoped]
       eventsmith dlq retry <id> --db <url>
       eventsmith dlq retry --subscription <name> --db <url> [--tenant <id>]
       eventsmith dlq retry --all --db <url> [--tenant <id>]
       eventsmith dlq resolve <id> --db <url>

list     Dead-lettered events (default: the first 200), each with its id, subscription, status,
         attempts, event and the first line of the error.
retry    Delivers the event again through its projection's handler (projections of this project's
         code only): resolved on success; on failure it stays pending with the attempt counted and
         the command exits with status 1.
         With --subscription <name> (or --all: of every subscription) instead of an id, it retries
         every entry pending when it starts, one after another in id order, and goes on after a
         failure; it prints a line per entry and the counts, and exits 1 if any failed.
resolve  Marks the entry resolved without delivering it again.

Options:
  --db <url>             sqlite:app.db, postgres://user@host/db or mysql://user@host/db
                         Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --tenant <id>          Only this tenant's dead letters (of its events)
  --unscoped             list: only those \`subscriptions status\` counts in its unscoped rows
                         (tenant -): of events without a tenant, and of tenants the subscription
                         has no checkpoint of when it has an unscoped one
  --subscription <name>  list: only this subscription's; retry: every pending entry of it
  --all                  retry: every pending entry of every subscription (--tenant: of that tenant)
  --format json          { "deadLetters": [...] }, or { "id", "outcome" | "status" }; retry of many:
                         { "subscription", "tenantId", "resolved", "failed", "skipped",
                           "entries": [{ "id", "subscription", "outcome", "error"? }] }

Exit status: 0 done, 1 the store could not be read or a retry failed, 2 usage error (a
missing or unknown sub-command, argument or flag, a --db URL of no known database).`,

  projections: `Usage: eventsmith projections rebuild <name> --db <url> [--skip-failures] [--tenant <id>] [--format text|json]
       eventsmith projections forget <name> --db <url> [--tenant <id>] [--format text|json]

rebuild  Replays every event the projection reads into empty copies of its tables, catches up to
         its checkpoint, then swaps the copies in: readers see the old tables until the swap. The
         projection's SQL lease is held meanwhile; while an app runs the projection (apps hold its
         lease), the rebuild is refused: stop the app, or rebuild from it with
         app.manager.rebuild(name). On a terminal a progress bar shows the rate and the time left;
         otherwise a line every two seconds. The first event the projection's handlers fail on
         stops the rebuild and leaves the live tables as they were (exit status 1). A rebuild that
         completes clears the projection's mark of a lossy migration (see \`eventsmith migrate\`);
         one that fails leaves it.

forget   Removes what the database keeps of a projection or reaction (or any subscription) the
         project no longer has, after you removed or renamed it in the domain YAML: its checkpoints
         (of every tenant), its expired leases, its mark of needing a rebuild, and its dead letters,
         deleted, not resolved (they could never be retried: save them first with \`eventsmith dlq
         list --subscription <name> --format json\` if you want them). \`migrate\`, \`subscriptions
         status\`, \`dlq list\` and the studio then stop reporting it. It changes no table: the
         projection migrations own those. Refused for a name the project still has (it would replay
         from the start; exit status 1) and while an app runs the subscription (holds its lease).
         A name with nothing recorded prints so and exits 0.

Options:
  --skip-failures        rebuild: skip and list the events the handlers fail on instead (exit
                         status 1): the new tables then miss what those events would have written
  --db <url>             sqlite:app.db, postgres://user@host/db or mysql://user@host/db
                         Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --tenant <id>          rebuild: from this tenant's events only (a tenant's own projection tables);
                         forget: only this tenant's checkpoint, lease and dead letters (the rebuild
                         mark goes with the name's last checkpoint)
  --format json          rebuild: { "projection", "replayed", "position", "durationMs", "failures" }
                         forget: { "name", "tenantId", "checkpoints", "leases", "deadLetters",
                         "pendingRebuild" }: what was removed

Exit status: 0 done, 1 the store could not be read, the rebuild failed or skipped events, or
forget was refused, 2 usage error (a missing or unknown argument or flag, a --db URL of no known
database).`,

  'store-id': `Usage: eventsmith store-id --db <url> [--format text|json]
       eventsmith store-id set <id> --db <url> [--rewrite-positions] [--format text|json]

Every position names its store (sqlite:shop.db@1042), and checkpoints and dead letters keep
positions; a store refuses another store's (PositionForeignError). A SQL database keeps its store id
in the table eventsmith_store_identity (migration 0005), and keeps it when copied, renamed or
restored; every store that opens it uses it, and one opened with another storeId option fails
(StoreIdMismatchError). This command reads only the database: it needs no config or generated code.

store-id   Prints the id the database keeps, whether it is the id its name gives (sqlite:<file>,
           pg:<database>, mysql:<database>), and how many checkpoints and dead letters carry
           which id. Changes nothing.
set <id>   Makes the database keep <id>, in one transaction. Setting the id it keeps changes
           nothing and says so. Refused, with nothing changed (STORE.ID_CHANGE_REFUSED):
           - while checkpoints or dead letters carry the id it keeps now: under the new id they
             would be another store's, and every subscription would fail. --rewrite-positions
             moves them to the new id in the same transaction (a rename). When none carries it
             (a restored database whose checkpoints already carry <id>), nothing is refused.
           - while a subscription holds a lease (an app or a rebuild runs on the database and
             would go on writing the old id): stop the apps first; a lease expires at most 15 s
             after its holder stops.
           Positions of other ids (another store's) are never rewritten. An id is 1 to 160
           characters, without spaces at either end or control characters. Stores opened before
           keep the old id until they are opened again: restart the apps, without a storeId
           option or with storeId: "<id>".

Options:
  --db <url>            sqlite:<file> (or a path ending in .db/.sqlite), postgres://…, mysql://…
                        Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --rewrite-positions   set: also rewrite the positions of the checkpoints and dead letters that
                        carry the id the database keeps now
  --format json         { "storeId", "derivedStoreId", "fromName", "positions": [{ "table",
                        "storeId", "count" }] }; set: { "previousStoreId", "storeId", "changed",
                        "rewritten": { "checkpoints", "deadLetters" }, "otherIds" }

Exit status: 0 done (or already so), 1 the database could not be opened, is not migrated to 0005
(run \`eventsmith migrate --db <url>\`) or refused the change, 2 usage error (a missing or invalid
id, an unknown flag, a --db URL of no known database).`,

  migrate: `Usage: eventsmith migrate --db <url> [--no-rebuild] [--config <file>]

Creates or upgrades the event store tables, then applies the generated projection migrations
of every domain in the config (run \`eventsmith generate\` first). Safe to run repeatedly.

On a database a newer version of the project (or of eventsmith) already migrated, as during a
rolling deploy or after a rollback, it applies nothing, says the database is ahead of this
project's migrations and names the newer ones, and exits 0. Migration histories that diverged
(the database has migrations this project lacks while some of the project's are unapplied, as
when two branches each added one) are refused with MIGRATE.DIVERGED, naming both.

A projection migration that empties or resets its table (a new primary key, a retyped column, a
NOT NULL column without a default: \`generate\` warned when it wrote it) names its projection in
\`rebuild\`; applying it marks the projection, in the database, as needing a rebuild, until a
rebuild of it completes (this command's, \`eventsmith projections rebuild\` or an app's). Once
every migration succeeded, every marked projection is rebuilt from its events, as \`eventsmith
projections rebuild\` does, and each rebuild's report is printed: those the migrations of this
run emptied, and those of an earlier run whose rebuild failed, was interrupted or was skipped
(--no-rebuild, an app without rebuild: true). With no mark it rebuilds nothing. A rebuild is refused
while an app runs the projection (it holds the projection's lease), so before applying anything,
migrate refuses (MIGRATE.PROJECTION_RUNNING, nothing applied) to apply a migration that would
empty the table of a projection an app runs now, and names the lease holder (host:pid:id) and
when its lease runs out: stop the apps of the previous version, then migrate; or pass
--no-rebuild to apply now and rebuild later (the table stays empty meanwhile). When another
migrate (another pod's init container) is rebuilding the projection, it waits for that rebuild
and says so instead of failing. A mark of a
projection the project no longer has is noted at each run until \`eventsmith projections forget
<name>\` removes it.

  --db <url>     sqlite:<file> (or a path ending in .db/.sqlite), postgres://…, mysql://…
                 Default: the EVENTSMITH_DB environment variable (keeps a password out of \`ps\`).
  --no-rebuild   Do not rebuild; print which projections to rebuild (\`eventsmith projections
                 rebuild <name>\`) instead, for teams that rebuild in a separate step.
  --format json  { "database", "steps": [{ "tables", "applied", "rebuild"?, "ahead"? }], "rebuilt"?,
                 "rebuiltElsewhere"? (rebuilt meanwhile by another run),
                 "pending"? (still marked: with --no-rebuild, or no longer in the project) }

Exit status: 0 done, 1 a migration or a rebuild failed or the database could not be opened (after
a failed rebuild the migrations stay applied and the mark stays: rebuild with \`eventsmith
projections rebuild\`, or run \`eventsmith migrate\` again), 2
usage error (a --db URL of no known database).`,
};

/* opendata-import — load data into the portal: `catalog FILE` (Taiwan metadata JSON), `csv FILE`
 * and `xml FILE` (a resource's DataStore table, docs/DATASTORE.md). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "catalog_in.h"
#include "config.h"
#include "load.h"
#include "log.h"
#include "util.h"
#include "version.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: opendata-import catalog FILE [--db CONNINFO] [--timezone TZ] [--jobs N]\n"
               "       opendata-import csv FILE --resource-id RID [--dataset IDENTIFIER]\n"
               "                       [--encoding E] [--delimiter D] [--dry-run] ...\n"
               "       opendata-import xml FILE --resource-id RID [--record NAME|PATH] ...\n\n"
               "  catalog FILE  Taiwan dataset metadata JSON: one object, an array of objects,\n"
               "                or a data.gov.tw v1 answer {\"success\": true, \"result\": ...};\n"
               "                exit status 1 when any record failed (the others are imported)\n"
               "  csv FILE      replace the resource's DataStore table with the CSV file\n"
               "                (FILE \"-\": standard input, for each command)\n"
               "  xml FILE      the same from an XML file (one record element per row)\n"
               "                (rules: docs/DATASTORE.md, \"Import rules\"); exit status 1 on\n"
               "                any error, and the previous data is then left as it was\n\n");
    cfg_usage(f, CFG_IMPORT);
}

/* --jobs 0: a connection per online CPU, at most 4 (the database side of a record is CPU-bound;
 * more only queue on the same cores). */
static int catalog_jobs(int jobs)
{
    if (jobs > 0)
        return jobs;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
}

static int cmd_catalog(const struct config *cfg, const char *file)
{
    if (strcmp(file, "-") == 0)
        file = "/dev/stdin"; /* read once, whole */
    char *dir = util_share_dir("OPENDATAD_SCHEMA_DIR", "schemas");
    char *schema = xasprintf("%s/tw-dataset-metadata.schema.json", dir);
    struct catin_stats st = {0};
    char *err = NULL;
    bool ok =
        catin_import_file(cfg->db, catalog_jobs(cfg->jobs), file, schema, cfg->timezone, &st, &err);
    if (!ok) {
        log_error("%s", err);
        free(err);
    } else {
        fprintf(stderr, "%s: %d created, %d updated, %d unchanged, %d failed\n", log_progname,
                st.created, st.updated, st.unchanged, st.failed);
    }
    free(schema);
    free(dir);
    return ok && st.failed == 0 ? 0 : 1;
}

/* Settings that only one of csv/xml takes, and --resource-id; 2 (usage) with a message. */
static int check_data_args(const struct config *cfg, bool xml, enum enc_kind *kind, char *delim)
{
    char *err = NULL;
    if (!load_parse_encoding(cfg->encoding, kind, &err) ||
        (!xml && !load_parse_delimiter(cfg->delimiter, delim, &err))) {
        log_error("%s", err);
        free(err);
        return 2;
    }
    if (xml && strcasecmp(cfg->delimiter, "auto") != 0) {
        log_error("--delimiter applies to csv files only");
        return 2;
    }
    if (!xml && *cfg->record) {
        log_error("--record applies to xml files only");
        return 2;
    }
    if (!cfg->dry_run && !*cfg->resource_id) {
        log_error("give --resource-id RID (the resource the data belongs to)");
        return 2;
    }
    if (!cfg->dry_run && !*cfg->db) {
        log_error("no database: give --db CONNINFO or set DATABASE_URL");
        return 2;
    }
    return 0;
}

static void on_log(void *arg, enum load_level level, const char *line)
{
    (void)arg;
    log_msg((enum log_level)level, "%s", line);
}

/* A terminal gets a progress line, rewritten in place: a pass over the file or the version
 * stored by bytes, the indexes by count, each with an estimate of the time left. */
static void on_progress(void *arg, const struct load_progress *p)
{
    (void)arg;
    double secs = (double)p->elapsed_us / 1e6;
    long eta;
    if (p->steps > 0) {
        eta = p->step > 0 ? (long)(secs / p->step * (p->steps - p->step)) : 0;
        fprintf(stderr, "\r%s: %s %d of %d, %.0f s, ETA %ld:%02ld\033[K", log_progname, p->what,
                p->step, p->steps, secs, eta / 60, eta % 60);
    } else {
        double mbs = secs > 0 ? (double)p->bytes / 1e6 / secs : 0;
        int pct = p->size ? (int)(100.0 * (double)p->bytes / (double)p->size) : 0;
        eta = mbs > 0 && p->size > p->bytes ? (long)((double)(p->size - p->bytes) / 1e6 / mbs) : 0;
        fprintf(stderr, "\r%s: %s %" PRId64 " rows, %.1f MB/s, %d%%, ETA %ld:%02ld\033[K",
                log_progname, p->what, p->rows, mbs, pct, eta / 60, eta % 60);
    }
    if (p->end)
        fputc('\n', stderr);
}

static void print_plan(const char *path, const struct load_result *r)
{
    printf("file: %s\nsize: %" PRIu64 " bytes\nformat: %s\n", path, r->size, r->format);
    printf("encoding: %s (%s%s)\n", r->encoding, r->encoding_detected ? "detected" : "given",
           r->bom ? ", BOM" : "");
    if (r->delimiter)
        printf("delimiter: %s\n", r->delimiter == '\t' ? "tab" : (char[]){r->delimiter, 0});
    if (r->record)
        printf("record: %s\n", r->record);
    printf("sample: %" PRId64 " rows (%s)\n", r->sampled,
           r->sample_whole ? "the whole file" : "the file has more");
    printf("fields: %zu\n", r->nfields);
    for (size_t i = 0; i < r->nfields; i++) {
        const struct load_field *f = &r->fields[i];
        printf("  %s  %s", f->name, f->type);
        if (strcmp(f->name, f->orig) != 0)
            printf("  (header \"%s\")", f->orig);
        putchar('\n');
    }
    fflush(stdout);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* The file "-": standard input, copied first to an unnamed temporary file (in $TMPDIR, else
 * /tmp), because a load reads its file more than once (sampling, hashing, a reload when a type
 * turned out wrong). A descriptor at its start, or -1 with *err (malloc'd). */
static int spool_stdin(char **err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) { /* a file system without O_TMPFILE */
        char *tmp = xasprintf("%s/opendata-import-XXXXXX", dir);
        if ((fd = mkstemp(tmp)) >= 0)
            unlink(tmp);
        free(tmp);
    }
    if (fd < 0) {
        *err = xasprintf("cannot create a temporary file in %s: %s", dir, strerror(errno));
        return -1;
    }
    static char buf[1 << 16];
    ssize_t n;
    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || !write_all(fd, buf, (size_t)n)) {
            *err = xasprintf("cannot copy standard input to %s: %s", dir, strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        *err = xasprintf("cannot read back standard input: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static int cmd_data(const struct config *cfg, bool xml, const char *file)
{
    struct load_opts o = {.format = xml ? "xml" : "csv",
                          .path = file,
                          .record = cfg->record,
                          .sample_rows = cfg->sample_rows,
                          .db = cfg->db,
                          .resource_id = cfg->resource_id,
                          .dataset = cfg->dataset,
                          .dry_run = cfg->dry_run,
                          .search_index = !cfg->no_search_index,
                          .log = on_log,
                          .debug = log_verbosity >= LOG_DEBUG,
                          .progress = isatty(2) == 1 ? on_progress : NULL};
    int status = check_data_args(cfg, xml, &o.encoding, &o.delimiter);
    if (status)
        return status;
    if (!*o.dataset)
        o.dataset = NULL;
    if (!*o.record)
        o.record = NULL;
    struct load_result res = {0};
    char *err = NULL;
    if (strcmp(file, "-") == 0) {
        o.path = "stdin";
        o.from_fd = true;
        if ((o.fd = spool_stdin(&err)) < 0) {
            log_error("%s", err);
            free(err);
            return 1;
        }
    }
    status = load_file(&o, &res, &err) == 0 ? 0 : 1;
    if (o.from_fd)
        close(o.fd);
    if (status == 0 && o.dry_run)
        print_plan(o.path, &res);
    load_result_clear(&res);
    if (status) {
        log_error("%s", err);
        free(err);
    }
    return status;
}

/* "--dry-run FILE" would give FILE to --dry-run as its value (config.c reads the word after a
 * boolean flag unless it starts with '-'); these flags take a value only with '='. */
static void fix_bool_flags(int argc, char **argv)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "1", "0"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") != 0 && strcmp(argv[i], "--no-search-index") != 0)
            continue;
        bool valued = false;
        for (size_t k = 0; i + 1 < argc && k < ARRAY_LEN(words); k++)
            valued |= strcasecmp(argv[i + 1], words[k]) == 0;
        if (!valued)
            argv[i] = strcmp(argv[i], "--dry-run") == 0 ? "--dry-run=true"
                                                        : "--no-search-index=true";
    }
}

static int run_command(const char *cmd, const struct config *cfg, char **pos, int npos)
{
    if (npos != 1) {
        log_error("expected one FILE argument");
        return 2;
    }
    if (strcmp(cmd, "catalog") == 0) {
        if (!*cfg->db) {
            log_error("no database: give --db CONNINFO or set DATABASE_URL");
            return 2;
        }
        return cmd_catalog(cfg, pos[0]);
    }
    return cmd_data(cfg, strcmp(cmd, "xml") == 0, pos[0]);
}

int main(int argc, char **argv)
{
    log_progname = "opendata-import";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0) {
        printf("opendata-import %s\n", OPENDATAD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "catalog") != 0 && strcmp(cmd, "csv") != 0 && strcmp(cmd, "xml") != 0) {
        log_error("unknown command \"%s\" (commands: catalog, csv, xml)", cmd);
        return 2;
    }
    fix_bool_flags(argc, argv);
    struct config cfg;
    char **pos = NULL, *err = NULL;
    int npos = 0, status = 2;
    enum cfg_result cr = cfg_parse(&cfg, CFG_IMPORT, argc - 1, argv + 1, &pos, &npos, &err);
    if (cr == CFG_HELP) {
        usage(stdout);
        status = 0;
    } else if (cr == CFG_ERROR) {
        log_error("%s", err);
    } else {
        log_verbosity = cfg.verbosity;
        status = run_command(cmd, &cfg, pos, npos);
    }
    free(err);
    free(pos);
    cfg_clear(&cfg);
    return status;
}

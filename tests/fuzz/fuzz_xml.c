/* libFuzzer driver for the XML import (importers/xml_in.c over enc.c, infer.c, load.c), read as
 * `opendata-import xml` reads a file, the database replaced by checks of the COPY stream
 * (fuzz_load.c). Entity expansion must stay off: loading any external entity or DTD aborts,
 * and rows holding more text than the file could give abort too.
 * Byte 0: bits 0-1 the encoding (auto, utf-8, cp950, auto), bit 2 set: the first line of the
 * rest is --record (a NAME or /PATH), bits 5-6 the sample size. The rest is the file. */
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_load.h"
#include "log.h"
#include "util.h"
#include "xml_in.h"

static xmlParserInputPtr no_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    (void)ctxt;
    fprintf(stderr, "fuzz_xml: the parser tried to load %s (%s)\n", url ? url : "?",
            id ? id : "?");
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_progname = "fuzz_xml";
    log_verbosity = -1;
    xmlSetExternalEntityLoader(no_external);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    data++, size--;
    char *record = NULL;
    if (opt & 4) {
        const uint8_t *nl = memchr(data, '\n', size);
        if (!nl)
            return 0;
        record = xstrndup((const char *)data, (size_t)(nl - data));
        size -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
    enum enc_kind kind = fuzz_load_kind(opt);
    const char *path = fuzz_load_file(data, size);
    fuzz_load_check_enc(path, data, size, kind);
    struct load_source src;
    char *err = NULL;
    struct enc *e = enc_open(path, kind, &err);
    if (!e || !xmlin_open(&src, e, path, record, &err))
        abort();
    fuzz_load_run(&src, data, size, fuzz_load_sample(opt));
    xmlin_close(&src);
    free(record);
    return 0;
}

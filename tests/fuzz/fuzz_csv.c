/* libFuzzer driver for the CSV import (importers/csv_in.c, enc.c, infer.c, load.c): the input
 * is a file read exactly as `opendata-import csv` reads it — encoding detection and Big5/CP950
 * decoding, delimiter detection, header cleanup, ragged rows, type inference with restarts —
 * with the database replaced by checks of the binary COPY stream (fuzz_load.c).
 * Byte 0: bits 0-1 the encoding (auto, utf-8, cp950, auto), bits 2-4 the delimiter (auto, auto,
 * ',', ';', tab, '|', ' ', auto), bits 5-6 the sample size. The rest is the file. */
#include <stdlib.h>

#include "csv_in.h"
#include "fuzz_load.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_progname = "fuzz_csv";
    log_verbosity = -1; /* the loader's notes on restarts are expected */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[8] = {0, 0, ',', ';', '\t', '|', ' ', 0};
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    data++, size--;
    enum enc_kind kind = fuzz_load_kind(opt);
    const char *path = fuzz_load_file(data, size);
    fuzz_load_check_enc(path, data, size, kind);
    struct load_source src;
    char *err = NULL;
    struct enc *e = enc_open(path, kind, &err);
    if (!e || !csvin_open(&src, e, path, delims[(opt >> 2) & 7], &err))
        abort();
    fuzz_load_run(&src, data, size, fuzz_load_sample(opt));
    csvin_close(&src);
    return 0;
}

/* main_host.c - the exported model on a PC: model_host IN.bin OUT.bin
 * IN.bin: N images of KIT_MODEL_IN int8 values (already quantized); OUT.bin: N x KIT_MODEL_OUT int8 logits. */
#include <stdio.h>
#include <string.h>
#include "model.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s IN.bin OUT.bin\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (!in || !out) {
        fprintf(stderr, "%s: cannot open\n", !in ? argv[1] : argv[2]);
        return 1;
    }
    long n = 0;
    for (;;) {
        size_t got = fread(kit_model_input(), 1, KIT_MODEL_IN, in);
        if (got == 0) {
            break;
        }
        if (got != KIT_MODEL_IN) {
            fprintf(stderr, "%s: image %ld is short (%zu of %d bytes)\n", argv[1], n, got, KIT_MODEL_IN);
            return 1;
        }
        if (fwrite(kit_model_run(), 1, KIT_MODEL_OUT, out) != KIT_MODEL_OUT) {
            fprintf(stderr, "%s: write failed\n", argv[2]);
            return 1;
        }
        n++;
    }
    fclose(in);
    if (fclose(out) != 0) {
        return 1;
    }
    printf("images=%ld\n", n);
    return 0;
}

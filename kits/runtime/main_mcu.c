/* main_mcu.c - the exported model on a Cortex-M under QEMU, with semihosting file I/O.
 * Reads input.bin (N images of KIT_MODEL_IN int8), writes output.bin (N x KIT_MODEL_OUT int8 logits) in
 * QEMU's working directory, and prints one line of figures:
 *   KIT images=N ticks=T calib_ticks=C calib_insns=I stack=S
 * T: SysTick ticks over all inferences; C: ticks of a loop of exactly I instructions (so instructions
 * per tick = I / C, whatever clock QEMU gives SysTick); S: bytes of stack the first inference used
 * (stack painting). */
#define _DEFAULT_SOURCE 1 /* newlib's iprintf: printf without floating point (smaller) */
#include <stdint.h>
#include <stdio.h>
#include "model.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

extern uint32_t __StackLimit[];

static uint32_t ticks_since(uint32_t t0) { return (t0 - SYST_CVR) & 0xFFFFFFu; }

/* Exactly 2 * n instructions (subs, bne). */
static void __attribute__((noinline)) spin(uint32_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

#define PAINT 0xA5C3A5C3u

/* Runs the model on the image in the arena (once: the arena reuses the input's bytes). With paint,
 * the free stack below this frame is painted first and *stack gets the bytes the inference used. */
static const int8_t *__attribute__((noinline)) run_one(int paint, uint32_t *ticks, uint32_t *stack)
{
    volatile uint32_t here = 0;
    uint32_t *top = (uint32_t *)((uintptr_t)&here & ~(uintptr_t)3) - 16; /* below this frame */
    if (paint) {
        for (uint32_t *p = __StackLimit; p < top; p++) {
            *p = PAINT;
        }
    }
    const uint32_t t0 = SYST_CVR;
    const int8_t *y = kit_model_run();
    *ticks = ticks_since(t0);
    if (paint) {
        uint32_t *p = __StackLimit;
        while (p < top && *p == PAINT) {
            p++;
        }
        *stack = (uint32_t)((uintptr_t)top - (uintptr_t)p);
    }
    return y;
}

int main(void)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* enabled, processor clock, no interrupt */
    uint32_t t0 = SYST_CVR;
    spin(200000);
    uint32_t c1 = ticks_since(t0);
    t0 = SYST_CVR;
    spin(1200000);
    uint32_t c2 = ticks_since(t0);

    FILE *in = fopen("input.bin", "rb"), *out = fopen("output.bin", "wb");
    if (!in || !out) {
        iprintf("KIT error: cannot open input.bin / output.bin\n");
        return 1;
    }
    uint32_t stack = 0;
    uint64_t ticks = 0;
    long n = 0;
    for (;;) {
        size_t got = fread(kit_model_input(), 1, KIT_MODEL_IN, in);
        if (got != KIT_MODEL_IN) {
            break;
        }
        uint32_t t = 0;
        const int8_t *y = run_one(n == 0, &t, &stack);
        ticks += t;
        fwrite(y, 1, KIT_MODEL_OUT, out);
        n++;
    }
    fclose(in);
    fclose(out);
    iprintf("KIT images=%ld ticks=%lu calib_ticks=%lu calib_insns=%lu stack=%lu\n", n, (unsigned long)ticks,
           (unsigned long)(c2 - c1), (unsigned long)2000000u, (unsigned long)stack);
    return 0;
}

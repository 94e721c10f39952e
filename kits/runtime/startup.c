/* startup.c - CMSIS-style startup for the QEMU MPS2/MPS3 boards: vector table, reset handler (copy
 * .data from flash, zero .bss), semihosting set-up, main, exit. Faults end the run with exit code 3. */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __etext_data[], __data_start__[], __data_end__[], __bss_start__[], __bss_end__[], __StackTop[];
extern int main(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void Fault_Handler(void);

void Fault_Handler(void) { _Exit(3); }

void Reset_Handler(void)
{
    for (uint32_t *s = __etext_data, *d = __data_start__; d < __data_end__;) {
        *d++ = *s++;
    }
    for (uint32_t *d = __bss_start__; d < __bss_end__;) {
        *d++ = 0;
    }
    initialise_monitor_handles();
    exit(main());
}

typedef void (*kit_vector)(void);
__attribute__((section(".vectors"), used)) const kit_vector kit_vectors[16] = {
    (kit_vector)(uintptr_t)__StackTop, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler,
};

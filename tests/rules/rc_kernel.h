/*
 * rc_kernel.h: what the kernel-mode files of the corpus (rc_world.c and
 * the rc_k*.c snippets) share beyond rc.h: the typed views of the world's
 * objects and the interface rcqiexp exports to rcqi.  Include after
 * <ntddk.h>.
 */
#ifndef TESTS_RULES_RC_KERNEL_H
#define TESTS_RULES_RC_KERNEL_H

#include "tests/rules/rc.h"

/* The driver interface behind GUID_RC_QI: version 1, and the exporter's own version 2. */
typedef struct RC_QI_INTERFACE_V1 {
    INTERFACE Interface;
    ULONG (*GetLevel)(PVOID Context);
} RC_QI_INTERFACE_V1;

typedef struct RC_QI_INTERFACE_V2 {
    INTERFACE Interface;
    ULONG (*GetLevel)(PVOID Context);
    ULONG (*GetFlags)(PVOID Context);
} RC_QI_INTERFACE_V2;

#define RC_DRIVER ((PDRIVER_OBJECT)rc_drv_object())
#define RC_PDO ((PDEVICE_OBJECT)rc_pdo())
#define RC_OTHER_PDO ((PDEVICE_OBJECT)rc_other_pdo())

#endif

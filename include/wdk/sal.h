/*
 * sal.h: the SAL source annotations (_In_, _Out_, _IRQL_requires_...) and
 * the calling-convention keywords, all as no-ops.  pnpbox compiles driver
 * code with gcc, which has no use for them; they exist so code written for
 * the WDK compiles unchanged.
 */
#ifndef PNPBOX_SAL_H
#define PNPBOX_SAL_H

#define _In_
#define _In_opt_
#define _In_z_
#define _In_opt_z_
#define _In_reads_(n)
#define _In_reads_opt_(n)
#define _In_reads_bytes_(n)
#define _In_reads_bytes_opt_(n)
#define _Inout_
#define _Inout_opt_
#define _Inout_z_
#define _Inout_updates_(n)
#define _Inout_updates_bytes_(n)
#define _Out_
#define _Out_opt_
#define _Out_writes_(n)
#define _Out_writes_opt_(n)
#define _Out_writes_bytes_(n)
#define _Out_writes_bytes_opt_(n)
#define _Out_writes_bytes_to_(n, m)
#define _Out_writes_bytes_to_opt_(n, m)
#define _Out_writes_to_(n, m)
#define _Out_writes_z_(n)
#define _Outptr_
#define _Outptr_opt_
#define _Outptr_result_maybenull_
#define _Outptr_result_buffer_(n)
#define _Outptr_result_bytebuffer_(n)
#define _Outptr_opt_result_maybenull_
#define _Deref_out_
#define _Ret_maybenull_
#define _Ret_z_
#define _Must_inspect_result_
#define _Check_return_
#define _Success_(x)
#define _Return_type_success_(x)
#define _Null_terminated_
#define _NullNull_terminated_
#define _Field_size_(n)
#define _Field_size_bytes_(n)
#define _Field_size_bytes_part_(n, m)
#define _Field_size_part_(n, m)
#define _Field_z_
#define _When_(c, a)
#define _At_(t, a)
#define _Pre_notnull_
#define _Post_invalid_
#define _Post_ptr_invalid_
#define _Frees_ptr_
#define _Frees_ptr_opt_
#define _Printf_format_string_
#define _Analysis_assume_(x)
#define _Analysis_mode_(x)
#define _Use_decl_annotations_
#define _Reserved_
#define _Strict_type_match_
#define _Literal_
#define _Notliteral_
#define _Const_
#define _Kernel_requires_resource_held_(x)
#define _Kernel_clear_do_init_(x)
#define _Kernel_float_used_
#define _IRQL_requires_(x)
#define _IRQL_requires_max_(x)
#define _IRQL_requires_min_(x)
#define _IRQL_requires_same_
#define _IRQL_saves_
#define _IRQL_restores_
#define _IRQL_raises_(x)
#define _IRQL_always_function_min_(x)
#define _IRQL_always_function_max_(x)
#define _IRQL_saves_global_(k, x)
#define _IRQL_restores_global_(k, x)
#define _IRQL_uses_cancel_
#define _Function_class_(x)
#define _Dispatch_type_(x)
#define _Acquires_lock_(x)
#define _Releases_lock_(x)
#define _Requires_lock_held_(x)
#define _Requires_lock_not_held_(x)
#define _Guarded_by_(x)
#define _Interlocked_
#define _Maybe_raises_SEH_exception_
#define _Raises_SEH_exception_
#define _Enum_is_bitflag_
#define _Points_to_data_
#define _Pre_
#define _Post_
#define _Pre_satisfies_(x)
#define _Post_satisfies_(x)
#define _Post_equal_to_(x)
#define _Post_z_
#define _Post_maybez_
#define _Unreferenced_parameter_
#define _Struct_size_bytes_(x)
#define _Inexpressible_(x)
#define _Deref_pre_z_
#define _Deref_post_z_
#define _Pre_z_

#define __in
#define __in_opt
#define __out
#define __out_opt
#define __inout
#define __inout_opt
#define __drv_aliasesMem
#define __drv_allocatesMem(x)
#define __drv_freesMem(x)
#define __drv_dispatchType(x)
#define __drv_maxIRQL(x)
#define __drv_when(c, a)

/* Calling conventions and storage classes. */
#define NTAPI
#define WINAPI
#define APIENTRY
#define CALLBACK
#define STDMETHODCALLTYPE
#define NTSYSAPI
#define NTSYSCALLAPI
#define NTKERNELAPI
#define NTHALAPI
#define WINBASEAPI
#define WINADVAPI
#define WINREGAPI
#define CMAPI
#define DECLSPEC_IMPORT
#define DECLSPEC_NOINLINE __attribute__((noinline))
#define DECLSPEC_NORETURN __attribute__((noreturn))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define DECLSPEC_SELECTANY __attribute__((weak))
#define DECLSPEC_NOTHROW
#define FORCEINLINE static inline __attribute__((always_inline))
#define __forceinline inline __attribute__((always_inline))
#define __stdcall
#define __cdecl
#define __fastcall
#define __inline inline
#define _Inline inline
#ifndef EXTERN_C
#define EXTERN_C extern
#endif
#define UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_PARAMETER(p) ((void)(p))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(v) ((void)(v))

#endif

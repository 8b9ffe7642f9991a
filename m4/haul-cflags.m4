# HAUL_CHECK_CFLAG(FLAG, [ACTION-IF-OK], [ACTION-IF-NOT])
# Compile and link an empty program with FLAG added and -Werror, so that a
# flag the compiler merely warns about counts as unsupported.
AC_DEFUN([HAUL_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([haul_cv], [haul_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [haul_cv], [
    haul_save_cflags=$CFLAGS
    haul_save_ldflags=$LDFLAGS
    CFLAGS="$CFLAGS -Werror $1"
    LDFLAGS="$LDFLAGS $1"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([haul_cv], [yes])], [AS_VAR_SET([haul_cv], [no])])
    CFLAGS=$haul_save_cflags
    LDFLAGS=$haul_save_ldflags
  ])
  AS_VAR_IF([haul_cv], [yes], [$2], [$3])
  AS_VAR_POPDEF([haul_cv])
])

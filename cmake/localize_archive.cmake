# Rewrites a static archive as one relocatable object whose only global
# symbols are mixcut_* (run after the archive is built; see CMakeLists.txt).
#   cmake -DAR=ar -DLD=ld -DOBJCOPY=objcopy -DARCHIVE=libmixcut.a -P localize_archive.cmake
set(object "${ARCHIVE}.o")
# --force-group-allocation dissolves COMDAT groups, so that the linker cannot
# swap our (now local) copy of an inline function for a program's copy.
execute_process(COMMAND "${LD}" -r --force-group-allocation -o "${object}"
                        --whole-archive "${ARCHIVE}"
                COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND "${OBJCOPY}" --wildcard --keep-global-symbol=mixcut_* "${object}"
                COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE "${ARCHIVE}")
execute_process(COMMAND "${AR}" rcs "${ARCHIVE}" "${object}" COMMAND_ERROR_IS_FATAL ANY)
file(REMOVE "${object}")

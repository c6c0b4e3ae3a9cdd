/* auth_files.c: whether a file changed since it was read (a registry or CRL rewritten by rename gets a
 * new inode; one rewritten in place a new size or mtime). */
#include <stdio.h>
#include <sys/stat.h>

#include "auth.h"

bool auth_file_stamp(const char *path, char *stamp, size_t stamp_size) {
    struct stat info;
    if (stat(path, &info) != 0) return false;
    snprintf(stamp, stamp_size, "%llu:%lld:%lld.%09ld", (unsigned long long)info.st_ino, (long long)info.st_size,
             (long long)info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
    return true;
}

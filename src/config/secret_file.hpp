// Private: the instance folder and the development key file kept in it.
#pragma once

#include <bulwark/crypto.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace bulwark::config::detail {

// ensure_instance_dir creates the folder (and missing parents) with mode 0700. Throws
// ConfigError when it cannot; adds a warning when an existing folder is group/other-accessible.
void ensure_instance_dir(const std::filesystem::path& dir, std::vector<std::string>& warnings);

// load_or_create_dev_key reads <dir>/secret_key, or makes it (32 random bytes as base64url,
// written to a temp file opened O_CREAT|O_EXCL with mode 0600 and linked into place, so a
// concurrent start never sees half a key and never overwrites one). Throws ConfigError when
// the file is not a regular file owned by us, has group/other permissions, or is too short.
crypto::SecretBytes load_or_create_dev_key(const std::filesystem::path& dir);

}  // namespace bulwark::config::detail

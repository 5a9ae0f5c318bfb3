# Every dependency is a Debian package (scripts/install-deps installs them); nothing is
# downloaded at build time. Plain system libraries are named through imported targets
# here so that each component says only which ones it needs.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(PkgConfig REQUIRED)

# bulwark_system_library(<Name> <pkg-config module>) makes bulwark::dep::<Name>.
function(bulwark_system_library name module)
  if(TARGET bulwark_dep_${name})
    return()
  endif()
  pkg_check_modules(BULWARK_DEP_${name} REQUIRED IMPORTED_TARGET GLOBAL ${module})
  add_library(bulwark_dep_${name} INTERFACE)
  target_link_libraries(bulwark_dep_${name} INTERFACE PkgConfig::BULWARK_DEP_${name})
  add_library(bulwark::dep::${name} ALIAS bulwark_dep_${name})
  install(TARGETS bulwark_dep_${name} EXPORT bulwarkTargets)
endfunction()

bulwark_system_library(sodium libsodium)
bulwark_system_library(sqlite3 sqlite3)
bulwark_system_library(pq libpq)
bulwark_system_library(hiredis hiredis)
bulwark_system_library(magic libmagic)
bulwark_system_library(gumbo gumbo)
bulwark_system_library(xcrypt libxcrypt)
bulwark_system_library(curl libcurl)

# zxcvbn-c ships no pkg-config file.
find_library(BULWARK_ZXCVBN_LIBRARY NAMES zxcvbn REQUIRED)
add_library(bulwark_dep_zxcvbn INTERFACE)
target_link_libraries(bulwark_dep_zxcvbn INTERFACE ${BULWARK_ZXCVBN_LIBRARY})
add_library(bulwark::dep::zxcvbn ALIAS bulwark_dep_zxcvbn)
install(TARGETS bulwark_dep_zxcvbn EXPORT bulwarkTargets)

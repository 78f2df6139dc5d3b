# `make package`: a Debian package (CPack DEB) with the binary, the default config as a
# conffile, the systemd unit, the docs, and maintainer scripts that create the `payedge` system
# user and /var/lib/payedge. The install rules here are the package's layout.
include(GNUInstallDirs)
# `make install`/cpack install what is built; they do not build every test first (`make package`
# builds the binary itself).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
install(TARGETS payedge RUNTIME DESTINATION bin)
install(FILES packaging/payedge.toml packaging/payedge.env DESTINATION /etc/payedge
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES packaging/payedge.service DESTINATION /lib/systemd/system)
install(FILES README.md docs/DEPLOY.md docs/RUNBOOK.md docs/error-codes.md
        DESTINATION share/doc/payedge)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME payedge)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "payedge maintainers <payedge@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Toss Payments confirmation service (Supabase Edge Function replacement) and on-call toolkit")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR OFF)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # the runtime libraries, from the binary's own links
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
include(CPack)

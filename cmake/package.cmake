# `make package`: a Debian package (CPack) with the binary, a systemd unit,
# /etc/holdfast/holdfast.toml and the maintainer scripts that create the
# `holdfast` system user and its directories (packaging/).

# `make package` builds the daemon only; the unit tests need not be built
# before cpack installs (CMake would otherwise build `all` first).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
install(TARGETS holdfast RUNTIME DESTINATION sbin)
# The sendmail interface (docs/local-delivery.md): an MTA that Provides and
# Conflicts mail-transport-agent ships /usr/sbin/sendmail itself, as Postfix
# and Exim do (Debian policy 11.6), plus /usr/lib/sendmail and mailq.
# `holdfast` dispatches on the name it is called by.
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/package/links)
file(CREATE_LINK holdfast ${PROJECT_BINARY_DIR}/package/links/sendmail SYMBOLIC)
file(CREATE_LINK ../sbin/sendmail ${PROJECT_BINARY_DIR}/package/links/lib-sendmail SYMBOLIC)
file(CREATE_LINK ../sbin/holdfast ${PROJECT_BINARY_DIR}/package/links/mailq SYMBOLIC)
install(FILES ${PROJECT_BINARY_DIR}/package/links/sendmail DESTINATION sbin)
install(FILES ${PROJECT_BINARY_DIR}/package/links/lib-sendmail DESTINATION lib RENAME sendmail)
install(FILES ${PROJECT_BINARY_DIR}/package/links/mailq DESTINATION bin)
install(FILES packaging/holdfast.service DESTINATION lib/systemd/system)
install(FILES README.md docs/architecture.md docs/configuration.md docs/operations.md
        docs/local-delivery.md DESTINATION share/doc/holdfast)

# The shipped config is config/holdfast.toml (the one a unit test loads and
# `make run` uses) with system paths: one commented source for both.
file(READ ${PROJECT_SOURCE_DIR}/config/holdfast.toml holdfast_etc_config)
foreach(pair
        "spool = \"var/spool\"|spool = \"/var/spool/holdfast\""
        "maildir = \"var/mail/%d/%u\"|maildir = \"/var/mail/holdfast/%d/%u\""
        "address = \"127.0.0.1:2525\"|address = \"127.0.0.1:25\""
        "# Holdfast — the default configuration that `make run` uses.|# Holdfast — /etc/holdfast/holdfast.toml, as the Debian package installs it.\n# It listens on 127.0.0.1:25 only: set server.hostname, [[listen]], your\n# domains and relay.networks, run `holdfast check-config`, then\n# `systemctl start holdfast`. Relative paths are relative to /var/lib/holdfast.")
    string(REPLACE "|" ";" pair_list "${pair}")
    list(GET pair_list 0 from)
    list(GET pair_list 1 to)
    string(FIND "${holdfast_etc_config}" "${from}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "package: config/holdfast.toml no longer contains '${from}'")
    endif()
    string(REPLACE "${from}" "${to}" holdfast_etc_config "${holdfast_etc_config}")
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/package/holdfast.toml "${holdfast_etc_config}")
# Absolute: CPack's DEB generator installs it under /etc, not /usr/etc.
install(FILES ${PROJECT_BINARY_DIR}/package/holdfast.toml DESTINATION /etc/holdfast
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME holdfast)
set(CPACK_PACKAGE_VENDOR "Holdfast")
set(CPACK_PACKAGE_CONTACT "Holdfast maintainers <postmaster@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "mail transfer agent: backup MX, closed relay, open-relay tester, DNSBL checks")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR OFF)
set(CPACK_STRIP_FILES ON)  # the debug info stays in build/holdfast
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# [checks] dmarc reads the Public Suffix List from Debian's package.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "publicsuffix")
# An MTA: it provides mail-transport-agent and conflicts with the others.
set(CPACK_DEBIAN_PACKAGE_PROVIDES "mail-transport-agent")
set(CPACK_DEBIAN_PACKAGE_CONFLICTS "mail-transport-agent")
set(CPACK_DEBIAN_PACKAGE_REPLACES "mail-transport-agent")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/postinst ${PROJECT_SOURCE_DIR}/packaging/prerm
    ${PROJECT_SOURCE_DIR}/packaging/postrm ${PROJECT_SOURCE_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

"""Render the cn=config tree and the initial data of a :class:`SlapdSpec`.

Pure functions: they return LDIF text for ``slapadd -n0`` (configuration)
and ``slapadd -n1`` (data), and touch no file. The paths slapd will use come
in as a :class:`~bridge.slapd.layout.Layout`, the root password as a hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from bridge.slapd.acl import database_access, frontend_access, service_limits
from bridge.slapd.layout import Layout
from bridge.slapd.ldif import Attributes, render_entries, ssha
from bridge.slapd.spec import ServiceAccount, SlapdSpec

__all__ = [
    "MODULE_DIR",
    "STOCK_SCHEMA_DIR",
    "frontend_sort_values",
    "index_lines",
    "overlay_entries",
    "render_config",
    "render_data",
    "render_root_password",
    "root_dn",
    "schema_ldif_path",
]

MODULE_DIR = Path("/usr/lib/ldap")
"""Where Debian's slapd package installs back-ends and overlays."""

STOCK_SCHEMA_DIR = Path("/etc/ldap/schema")
"""Where Debian's slapd package installs the standard schema LDIF files."""

_STOCK_SCHEMAS = ("core", "cosine", "inetorgperson")
_MAIN_DB_DN = "olcDatabase={1}mdb,cn=config"
_MODULES = ("back_mdb", "deref", "sssvlv", "unique", "refint", "syncprov")

# Replication (syncprov) looks entries up by these; the Administrator's
# Guide asks for equality indexes on them whatever else is indexed.
_ALWAYS_INDEXED = ("objectClass", "entryUUID", "entryCSN")


def schema_ldif_path() -> Path:
    """Return the path of the project schema, in cn=config LDIF form."""
    return Path(__file__).with_name("schema") / "scim-bridge.ldif"


def render_config(spec: SlapdSpec, layout: Layout, root_pw_hash: str) -> str:
    """Return the cn=config LDIF of ``spec`` for ``slapadd -n0``."""
    parts = [
        render_entries([_global(spec, layout), _modules()]),
        _schema(),
        render_entries([_frontend(spec), _config_db()]),
        render_entries([_main_db(spec, layout, root_pw_hash)]),
        render_entries(overlay_entries(spec)),
    ]
    return "".join(parts)


def render_data(spec: SlapdSpec) -> str:
    """Return the initial entries of ``spec`` for ``slapadd -n1``.

    The suffix, one ``organizationalUnit`` per unit and the service
    accounts, whose passwords are stored hashed.
    """
    entries = [_suffix_entry(spec.suffix)]
    entries.extend(_unit_entry(spec, unit) for unit in spec.organisational_units)
    entries.extend(_account_entry(account) for account in spec.service_accounts)
    return render_entries(entries)


def render_root_password(root_pw_hash: str) -> str:
    """Return the change that sets a new root password, for ``slapmodify``."""
    # A change record, not an entry, so it is written out by hand.
    return (
        f"dn: {_MAIN_DB_DN}\nchangetype: modify\n"
        f"replace: olcRootPW\nolcRootPW: {root_pw_hash}\n-\n\n"
    )


def root_dn(spec: SlapdSpec) -> str:
    """Return the DN of the database's root (ACL-exempt) identity."""
    return f"cn=admin,{spec.suffix}"


def _global(spec: SlapdSpec, layout: Layout) -> tuple[str, Attributes]:
    attributes = [
        ("objectClass", "olcGlobal"),
        ("cn", "config"),
        ("olcPidFile", str(layout.pid_file)),
        ("olcArgsFile", str(layout.args_file)),
    ]
    if spec.tls is not None:
        attributes += [
            ("olcTLSCertificateFile", str(spec.tls.cert)),
            ("olcTLSCertificateKeyFile", str(spec.tls.key)),
            ("olcTLSCACertificateFile", str(spec.tls.ca)),
            # 3.3 is TLS 1.2, the oldest version still considered sound.
            ("olcTLSProtocolMin", "3.3"),
        ]
    return "cn=config", attributes


def _modules() -> tuple[str, Attributes]:
    attributes = [
        ("objectClass", "olcModuleList"),
        ("cn", "module{0}"),
        ("olcModulePath", str(MODULE_DIR)),
    ]
    attributes += [("olcModuleLoad", name) for name in _MODULES]
    return "cn=module{0},cn=config", attributes


def _schema() -> str:
    # slapadd expands "include:" lines (RFC 2849 has no such thing; it is an
    # OpenLDAP extension), so the stock files are read where Debian put them.
    attributes = [("objectClass", "olcSchemaConfig"), ("cn", "schema")]
    root = render_entries([("cn=schema,cn=config", attributes)])
    files = [STOCK_SCHEMA_DIR / f"{name}.ldif" for name in _STOCK_SCHEMAS]
    files.append(schema_ldif_path())
    return root + "".join(f"include: {path.as_uri()}\n\n" for path in files)


def frontend_sort_values(spec: SlapdSpec) -> str:
    """The frontend's ``olcSortVals``: a member add to a 50,000-member group
    costs a third less when slapd need not scan for the value."""
    return " ".join(spec.sorted_values)


def _frontend(spec: SlapdSpec) -> tuple[str, Attributes]:
    attributes = [
        ("objectClass", "olcDatabaseConfig"),
        ("objectClass", "olcFrontendConfig"),
        ("olcDatabase", "{-1}frontend"),
        ("olcSortVals", frontend_sort_values(spec)),
    ]
    attributes += _numbered("olcAccess", frontend_access())
    return "olcDatabase={-1}frontend,cn=config", attributes


def _config_db() -> tuple[str, Attributes]:
    # No root DN and no listener on ldapi://: the configuration cannot be
    # changed over the wire, only by re-creating the working directory.
    attributes = [
        ("objectClass", "olcDatabaseConfig"),
        ("olcDatabase", "{0}config"),
        ("olcAccess", "{0}to * by * none"),
    ]
    return "olcDatabase={0}config,cn=config", attributes


def _main_db(
    spec: SlapdSpec, layout: Layout, root_pw_hash: str
) -> tuple[str, Attributes]:
    attributes = [
        ("objectClass", "olcDatabaseConfig"),
        ("objectClass", "olcMdbConfig"),
        ("olcDatabase", "{1}mdb"),
        ("olcSuffix", spec.suffix),
        ("olcDbDirectory", str(layout.db_dir)),
        ("olcDbMaxSize", str(spec.db_max_size)),
        ("olcRootDN", root_dn(spec)),
        ("olcRootPW", root_pw_hash),
        ("olcSizeLimit", str(spec.size_limit)),
    ]
    if not spec.durable:
        attributes.append(("olcDbNoSync", "TRUE"))
    attributes += _numbered("olcLimits", service_limits(spec))
    attributes += _numbered("olcAccess", database_access(spec))
    attributes += [("olcDbIndex", line) for line in index_lines(spec)]
    return _MAIN_DB_DN, attributes


def overlay_entries(
    spec: SlapdSpec, database: str = _MAIN_DB_DN, *, numbered: bool = True
) -> Iterator[tuple[str, Attributes]]:
    """The overlay entries of ``database``; ``numbered`` gives each its
    ``{N}`` (a new database), else slapd appends it after existing ones."""
    # Production order; slapd calls overlays in the reverse of the order they
    # are configured in (slapd.conf(5), "overlay"), so syncprov runs first.
    # An empty unique or refint list leaves that overlay out; deref has no
    # settings and no object class of its own.
    candidates: list[tuple[str, str | None, list[tuple[str, str]] | None]] = [
        ("deref", None, [] if spec.deref else None),
        ("sssvlv", "olcSssVlvConfig", _sssvlv_settings()),
        ("unique", "olcUniqueConfig", _unique_settings(spec) or None),
        ("refint", "olcRefintConfig", _refint_settings(spec) or None),
        ("syncprov", "olcSyncProvConfig", [("olcSpCheckpoint", "100 10")]),
    ]
    present = [c for c in candidates if c[2] is not None]
    for index, (name, object_class, settings) in enumerate(present):
        rdn = f"{{{index}}}{name}" if numbered else name
        dn = f"olcOverlay={rdn},{database}"
        head = [("objectClass", "olcOverlayConfig")]
        if object_class is not None:
            head.append(("objectClass", object_class))
        head.append(("olcOverlay", rdn))
        yield dn, head + (settings or [])


def _sssvlv_settings() -> list[tuple[str, str]]:
    # Concurrent sorts server-wide, keys per sort, and sorts per connection:
    # enough for a pool of bridge workers each holding a paged listing.
    return [
        ("olcSssVlvMax", "16"),
        ("olcSssVlvMaxKeys", "3"),
        ("olcSssVlvMaxPerConn", "8"),
    ]


def _unique_settings(spec: SlapdSpec) -> list[tuple[str, str]]:
    return [
        ("olcUniqueURI", f"ldap:///{base}?{attribute}?sub")
        for base, attribute in spec.unique
    ]


def _refint_settings(spec: SlapdSpec) -> list[tuple[str, str]]:
    # One value per attribute: 2.5.13 warns that a space-separated list in
    # one value "will be disallowed in a future version". Never set
    # olcRefintNothing: a placeholder member reads as a bogus user to the
    # records system (records-reader.md section 8, hazard 2).
    return [("olcRefintAttribute", name) for name in spec.refint_attributes]


def index_lines(spec: SlapdSpec) -> list[str]:
    """The ``olcDbIndex`` values: replication's, then the spec's."""
    # Attribute names are case-insensitive, and slapd refuses a second
    # olcDbIndex for one attribute, so spellings are merged on lower case.
    names: dict[str, str] = {}
    kinds: dict[str, list[str]] = {}
    pairs = [(name, "eq") for name in _ALWAYS_INDEXED] + list(spec.indexes)
    for attribute, wanted in pairs:
        key = attribute.lower()
        names.setdefault(key, attribute)
        known = kinds.setdefault(key, [])
        for kind in (k.strip() for k in wanted.split(",")):
            if kind and kind not in known:
                known.append(kind)
    return [f"{names[key]} {','.join(kinds[key])}" for key in names]


def _suffix_entry(suffix: str) -> tuple[str, Attributes]:
    name = _rdn_value(suffix)
    attributes = [
        ("objectClass", "top"),
        ("objectClass", "dcObject"),
        ("objectClass", "organization"),
        ("dc", name),
        ("o", name),
    ]
    return suffix, attributes


def _unit_entry(spec: SlapdSpec, unit: str) -> tuple[str, Attributes]:
    attributes = [("objectClass", "organizationalUnit"), ("ou", unit)]
    return spec.unit_dn(unit), attributes


def _account_entry(account: ServiceAccount) -> tuple[str, Attributes]:
    # applicationProcess, not a person: the records system syncs every
    # person it finds, and an account is not one.
    attributes = [
        ("objectClass", "applicationProcess"),
        ("objectClass", "simpleSecurityObject"),
        ("cn", _rdn_value(account.dn)),
        ("description", f"scim-ldap-bridge {account.role} account"),
        ("userPassword", ssha(account.password)),
    ]
    return account.dn, attributes


def _numbered(name: str, values: Iterable[str]) -> list[tuple[str, str]]:
    # Ordered cn=config values carry an explicit {N} so slapd keeps them in
    # the order given, which is what ACL and limits evaluation depend on.
    return [(name, f"{{{index}}}{value}") for index, value in enumerate(values)]


def _rdn_value(dn: str) -> str:
    rdn = dn.split(",", 1)[0]
    return rdn.split("=", 1)[1]

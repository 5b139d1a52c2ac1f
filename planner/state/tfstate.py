"""Terraform's state format version 4: what clbplan writes, and what it reads (its own or Terraform's).

Why a codec of its own: the in-memory ``State`` is keyed by instance address (what the planner
needs), while format 4 groups instances under their resource (module, mode, type, name) and keeps
the object id inside ``attributes``. Writing exactly Terraform's shape (field names, sort order,
``provider["<source>"]`` strings, dynamic-typed ``terraform_data`` values, output types) lets
``terraform state list`` / ``terraform show`` read clbplan's state and lets clbplan plan against a
``terraform.tfstate`` without importing anything.

Resource types clbplan does not manage (and data-source objects, which Terraform re-reads each
run) are kept verbatim in ``State.foreign`` and written back untouched. Instance fields clbplan
has no use for (``schema_version``, ``private``, ``status``, ``sensitive_attributes``...) ride in
``ResourceState.extra`` so a read-write cycle does not lose them.

Dependencies: format 4 records config-resource addresses (no instance keys). clbplan orders
deletes by instance, so when its recorded dependencies carry keys they are also kept in the
instance field ``clbplan_dependencies`` (Terraform ignores fields it does not know).

The older clbplan layout (``"version": 1``, a flat resource list) is still read (``decode_legacy``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from planner.addresses import ResourceAddress, parse_module_path
from planner.config.types import cty_type
from planner.state.conform import BadValue, check_fields, kind_of, resource_fields
from planner.state.model import ResourceState, State

TF_STATE_VERSION = 4
LEGACY_VERSION = 1

BUILTIN_SOURCE = "terraform.io/builtin/terraform"
ALICLOUD_SOURCE = "registry.terraform.io/aliyun/alicloud"
# providers whose types are typed "dynamic" in their schema: stored as {"value", "type"} by Terraform
DYNAMIC_ATTRIBUTES: dict[str, tuple[str, ...]] = {"terraform_data": ("input", "output", "triggers_replace")}

_PROVIDER_RE = re.compile(r'^(?P<module>(?:module\.[A-Za-z0-9_-]+\.)*)provider\["(?P<source>[^"]+)"\](?:\.(?P<alias>[A-Za-z0-9_-]+))?$')
_LEGACY_PROVIDER_RE = re.compile(r"^(?P<module>(?:module\.[A-Za-z0-9_-]+\.)*)provider\.(?P<name>[A-Za-z0-9_-]+)(?:\.(?P<alias>[A-Za-z0-9_-]+))?$")


class FormatError(ValueError):
    """A state document that is not a valid format-4 state (the message names what is wrong)."""


# ---------------------------------------------------------------------------------------- providers
def provider_source_of(local: str) -> str:
    """``alicloud`` / ``random.eu`` -> the provider's source address."""
    from planner.schema.utility import provider_source

    base = local.split(".", 1)[0]
    if base == "terraform":
        return BUILTIN_SOURCE
    return provider_source(base) or ALICLOUD_SOURCE


def provider_string(local: str, module: tuple = ()) -> str:
    """Terraform's ``provider`` field: ``[module.a.]provider["<source>"][.alias]`` (static module path)."""
    base, _, alias = local.partition(".")
    prefix = "".join(f"module.{name}." for name, _key in module)
    return f'{prefix}provider["{provider_source_of(base)}"]' + (f".{alias}" if alias else "")


def local_provider(text: str) -> str | None:
    """The reverse of ``provider_string``: the local name (+ ``.alias``), or None when malformed."""
    m = _PROVIDER_RE.match(text)
    if m:
        name = m.group("source").rsplit("/", 1)[-1]
    else:
        m = _LEGACY_PROVIDER_RE.match(text)
        if not m:
            return None
        name = m.group("name")
    return name + (f".{m.group('alias')}" if m.group("alias") else "")


def managed_type(type_name: str) -> bool:
    from planner.schema.registry import MANAGED

    return type_name in MANAGED


# ---------------------------------------------------------------------------------------- cty types
def _wrap_dynamic(type_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    names = DYNAMIC_ATTRIBUTES.get(type_name)
    if not names:
        return attrs
    out = dict(attrs)
    for n in names:
        if n in out and out[n] is not None:
            out[n] = {"value": out[n], "type": cty_type(out[n])}
    return out


def _unwrap_dynamic(type_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    names = DYNAMIC_ATTRIBUTES.get(type_name)
    if not names:
        return attrs
    out = dict(attrs)
    for n in names:
        v = out.get(n)
        if isinstance(v, dict) and set(v) == {"value", "type"}:
            out[n] = v["value"]
    return out


# ---------------------------------------------------------------------------------------- sort keys
def _key_order(key: Any) -> tuple:
    if key is None:
        return (0, 0, "")
    if isinstance(key, int):
        return (1, key, "")
    return (2, 0, str(key))


def _resource_order(doc: dict[str, Any]) -> tuple:
    return (doc.get("module", ""), doc.get("mode", ""), doc.get("type", ""), doc.get("name", ""))


def _config_address(d: ResourceAddress) -> str:
    """A dependency as Terraform records it: the config resource, no instance keys. Remembered per
    block and module instance (a few per configuration): a 10,000-LB state names 650,000 dependencies,
    and rendering each one anew was 40% of the state's encoding."""
    key = (d.type, d.name, d.mode, d.module)
    text = _CONFIG_ADDRESSES.get(key)
    if text is None:
        if len(_CONFIG_ADDRESSES) >= _CONFIG_ADDRESSES_KEPT:
            _CONFIG_ADDRESSES.clear()  # a long-lived process (tests, a library user) meets many configurations
        text = _CONFIG_ADDRESSES[key] = str(ResourceAddress(d.type, d.name, None, d.mode,
                                                            tuple((n, None) for n, _ in d.module)))
    return text


_CONFIG_ADDRESSES: dict[tuple, str] = {}
_CONFIG_ADDRESSES_KEPT = 10_000


# ---------------------------------------------------------------------------------------- encode
def iter_resource_objects(state: State) -> Iterator[dict[str, Any]]:
    """The ``resources`` array of format 4, in Terraform's order (clbplan's and foreign ones), one
    resource block at a time: the state writer turns each into its line and drops it, so the copies
    of every instance's attributes (at 10,000 load balancers, several times the file's size) are
    never all alive at once."""
    groups: dict[tuple, list[ResourceState]] = {}
    for addr, rs in state.resources.items():
        groups.setdefault((addr.module, addr.mode, addr.type, addr.name), []).append(rs)
    entries: list[tuple[tuple, Any]] = [(_resource_order(doc), doc) for doc in state.foreign]
    for (module, mode, type_name, name), members in groups.items():
        module_address = members[0].address.module_address if module else ""
        entries.append(((module_address, mode, type_name, name), members))
    entries.sort(key=lambda entry: entry[0])  # stable: equal keys keep the foreign-first order
    for _, item in entries:
        yield item if isinstance(item, dict) else _resource_object(item)


def _resource_object(members: list[ResourceState]) -> dict[str, Any]:
    """One resource block's object: its instances in key order."""
    from planner.schema.registry import MANAGED

    members.sort(key=lambda r: _key_order(r.address.key))
    first = members[0]
    addr = first.address
    doc: dict[str, Any] = {}
    if addr.module:
        doc["module"] = addr.module_address
    doc.update({"mode": addr.mode, "type": addr.type, "name": addr.name,
                "provider": first.extra.get("provider_string") or provider_string(first.provider, addr.module)})
    schema = MANAGED.get(addr.type)
    sensitive = sorted(schema.sensitive) if schema is not None else []
    doc["instances"] = [_instance(rs, addr.type, sensitive) for rs in members]
    return doc


def _instance(rs: ResourceState, type_name: str, sensitive: list[str]) -> dict[str, Any]:
    extra = rs.extra
    inst: dict[str, Any] = {}
    if rs.address.key is not None:
        inst["index_key"] = rs.address.key
    if extra.get("status"):
        inst["status"] = extra["status"]
    inst["schema_version"] = int(extra.get("schema_version", 0))
    attrs = dict(rs.attributes)
    if rs.id and attrs.get("id") != rs.id:
        attrs["id"] = rs.id
    inst["attributes"] = _wrap_dynamic(type_name, attrs)
    names = sorted({n for n in sensitive if attrs.get(n) is not None} | set(rs.sensitive))
    inst["sensitive_attributes"] = [[{"type": "get_attr", "value": n}] for n in names]
    if extra.get("private"):
        inst["private"] = extra["private"]
    if rs.dependencies:
        config_deps = sorted({_config_address(d) for d in rs.dependencies})
        inst["dependencies"] = config_deps
        exact = sorted(str(d) for d in rs.dependencies)
        if exact != config_deps:
            inst["clbplan_dependencies"] = exact
    if extra.get("create_before_destroy"):
        inst["create_before_destroy"] = True
    return inst


def outputs_v4(outputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for name in sorted(outputs):
        o = outputs[name]
        doc = {"value": o.get("value"), "type": o.get("type") or cty_type(o.get("value"))}
        if o.get("sensitive"):
            doc["sensitive"] = True
        out[name] = doc
    return out


# ---------------------------------------------------------------------------------------- decode
def decode_v4(doc: dict[str, Any], *, take: bool = False) -> State:
    """A format-4 document (Terraform's or clbplan's) -> State. Raises FormatError naming the problem.
    ``take``: the caller drops ``doc``; its attribute dicts become the state's (changed in place)."""
    serial = doc.get("serial", 0)
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
        raise FormatError(f"invalid serial {serial!r}")
    lineage = doc.get("lineage", "")
    if not isinstance(lineage, str):
        raise FormatError(f"invalid lineage {lineage!r}")
    tf_version = doc.get("terraform_version", "")
    if tf_version is not None and not isinstance(tf_version, str):
        raise FormatError(f"invalid terraform_version {tf_version!r}")
    state = State(lineage=lineage, serial=serial, version=TF_STATE_VERSION)
    if not lineage:
        import uuid

        state.lineage = str(uuid.uuid4())  # Terraform treats "" as "no lineage yet"
    state.terraform_version = tf_version or ""
    outputs = doc.get("outputs")
    if outputs is None:
        outputs = {}
    if not isinstance(outputs, dict):
        raise FormatError(f"outputs: expected an object, got {kind_of(outputs)}")
    for name, o in outputs.items():
        if not isinstance(o, dict) or "value" not in o:
            raise FormatError(f"output {name!r} has no value")
        state.outputs[name] = {"value": o["value"], "sensitive": bool(o.get("sensitive", False))}
        if o.get("type") is not None:  # the recorded type: a list(string) output stays a list, not a tuple
            state.outputs[name]["type"] = o["type"]
    resources = doc.get("resources")
    if resources is None:
        resources = []
    if not isinstance(resources, list):  # (read as "no resources", the plan would create them all again)
        raise FormatError(f"resources: expected a list, got {kind_of(resources)}")
    memo: dict[str, str] | None = {} if take else None  # equal strings shared (only in a document we own)
    for i, r in enumerate(resources):
        if not isinstance(r, dict):
            raise FormatError(f"resource #{i + 1} is not an object")
        _decode_resource(state, r, i, take, memo)
    return state


SHARED_TEXT_MAX = 64  # longer strings are descriptions and certificates: rarely repeated, not worth a lookup


def _share_strings(value: Any, memo: dict[str, str]) -> None:
    """Make equal short strings inside ``value`` (a dict or list, changed in place) one object.

    JSON gives every occurrence its own string: at 10,000 load balancers "off", "tcp", a zone or an ECS
    instance id named by 40 groups were 1.7 million objects, nine in ten of them copies (about 100 MB)."""
    if type(value) is dict:
        for k, v in value.items():
            t = type(v)
            if t is str:
                if len(v) <= SHARED_TEXT_MAX:
                    value[k] = memo.setdefault(v, v)
            elif t is dict or t is list:
                _share_strings(v, memo)
    else:
        for i, v in enumerate(value):
            t = type(v)
            if t is str:
                if len(v) <= SHARED_TEXT_MAX:
                    value[i] = memo.setdefault(v, v)
            elif t is dict or t is list:
                _share_strings(v, memo)


def _decode_resource(state: State, r: dict[str, Any], i: int, take: bool = False,
                     memo: dict[str, str] | None = None) -> None:
    for k in ("mode", "type", "name", "provider"):
        if not isinstance(r.get(k), str) or not r.get(k):
            raise FormatError(f"resource #{i + 1} has no valid {k!r}")
    mode, type_name, name = r["mode"], r["type"], r["name"]
    if mode not in ("managed", "data"):
        raise FormatError(f"resource #{i + 1} ({type_name}.{name}) has an invalid mode {mode!r}")
    instances = r.get("instances")
    if instances is None:
        instances = []
    if not isinstance(instances, list):
        raise FormatError(f"resources[{i}].instances ({type_name}.{name}): expected a list, got {kind_of(instances)}")
    provider = local_provider(r["provider"])
    if mode == "managed" and provider is not None and managed_type(type_name):
        _check_instance_objects(instances, i, f"{type_name}.{name}")
    if (mode != "managed" or provider is None or not managed_type(type_name)
            or any("attributes" not in x or x.get("deposed") for x in instances)):
        state.foreign.append(r)  # not ours to plan: written back exactly as read
        return
    module_text = r.get("module") or ""
    if not isinstance(module_text, str):
        raise FormatError(f"resource {type_name}.{name}: invalid module {module_text!r}")
    module, rest = parse_module_path(module_text + ".") if module_text else ((), "")
    if module_text and rest:
        raise FormatError(f"resource {type_name}.{name}: invalid module address {module_text!r}")
    from planner.schema.registry import MANAGED
    from planner.state.model import _sensitive_names

    # the same for every instance of the block: worked out once (a 10k-LB state has 10,000 per block)
    schema = MANAGED.get(type_name)
    schema_sensitive = schema.sensitive if schema else set()
    own_provider = r["provider"] == provider_string(provider, module)
    gone = _removed_names(schema) if schema is not None else None
    fields = resource_fields(schema) if schema is not None else None
    for j, inst in enumerate(instances):
        key = inst.get("index_key")
        if key is not None and (isinstance(key, bool) or not isinstance(key, int | str)):
            raise FormatError(f"resource {type_name}.{name}: invalid index_key {key!r}")
        addr = ResourceAddress(type_name, name, key, mode, module)
        if addr in state.resources:
            raise FormatError(f"resources[{i}].instances[{j}] ({addr}): a second object for {addr} "
                              f"(index_key {key!r} appears twice)")
        attrs = _unwrap_dynamic(type_name, inst["attributes"] if take else dict(inst["attributes"]))
        if memo is not None:
            _share_strings(attrs, memo)
        if fields is not None:
            try:
                check_fields(fields, attrs, f"resources[{i}].instances[{j}].attributes")
            except BadValue as e:
                raise FormatError(f"{e} ({addr})") from None
        extra: dict[str, Any] = {}
        for k in ("status", "schema_version", "private", "create_before_destroy"):
            if k in inst:
                extra[k] = inst[k]
        if extra.get("schema_version", 0) == 0:
            extra.pop("schema_version", None)
        if not own_provider:
            extra["provider_string"] = r["provider"]
        deps = _dependencies(inst, f"resources[{i}].instances[{j}]", addr)
        if gone is not None:
            _drop_removed(attrs, gone)
        rid = attrs.pop("id", None)  # in memory the id lives in ResourceState.id (as after a refresh)
        if fields is not None and not rid:  # (a provider drops an object whose id is gone from the state)
            raise FormatError(f"resources[{i}].instances[{j}].attributes.id ({addr}): "
                              f"{'missing' if rid is None else 'empty'}; every object in the state has the id "
                              f"the cloud gave it")
        marked = _sensitive_names(inst.get("sensitive_attributes")) - schema_sensitive
        state.resources[addr] = ResourceState(addr, "" if rid is None else str(rid), attrs, provider, deps,
                                              sensitive=marked, extra=extra)


def _check_instance_objects(instances: list[Any], i: int, resource: str) -> None:
    """Instances of a type clbplan manages: a malformed object is an error, not someone else's to keep."""
    for j, x in enumerate(instances):
        where = f"resources[{i}].instances[{j}]"
        if not isinstance(x, dict):
            raise FormatError(f"{where} ({resource}): expected an object, got {kind_of(x)}")
        if "attributes" in x and not isinstance(x["attributes"], dict):
            raise FormatError(f"{where}.attributes ({resource}): expected an object, got {kind_of(x['attributes'])}")
        if "attributes" not in x and "attributes_flat" not in x and not x.get("deposed"):
            raise FormatError(f"{where} ({resource}): the 'attributes' field is missing")


def _dependencies(inst: dict[str, Any], where: str, addr: ResourceAddress) -> list[ResourceAddress]:
    """An instance's recorded dependencies (clbplan's exact ones when present), parsed."""
    from planner.addresses import _parse

    dep_texts = inst.get("clbplan_dependencies") or inst.get("dependencies") or []
    if not isinstance(dep_texts, list) or not all(isinstance(d, str) for d in dep_texts):
        field_name = "clbplan_dependencies" if inst.get("clbplan_dependencies") else "dependencies"
        raise FormatError(f"{where}.{field_name} ({addr}): expected a list of resource addresses (strings), got "
                          f"{kind_of(dep_texts)}"
                          + ("" if not isinstance(dep_texts, list) else " with an element that is not a string"))
    try:
        return [_parse(d) for d in dep_texts]  # ResourceAddress.parse, without the extra call
    except (ValueError, TypeError, AttributeError) as e:
        raise FormatError(f"{addr}: invalid dependency: {e}") from None


# (removed names here, {block name: the same for its items}), or None when nothing was removed
_Removed = tuple[tuple[str, ...], dict[str, Any]]


def _removed_names(schema: Any) -> _Removed | None:
    """Where ``schema`` has attributes the provider removed (``GONE``), once per block.

    Terraform's state upgrade drops attributes the provider's schema no longer has; without this an
    older state (``subnet_id`` on every ECS instance) would plan one "-> null" update per object."""
    names = tuple(n for n, a in schema.attributes.items() if a.removed)
    nested = {b: sub for b, bt in schema.blocks.items() if (sub := _removed_names(bt)) is not None}
    return (names, nested) if names or nested else None


def _drop_removed(attrs: dict[str, Any], gone: _Removed) -> None:
    names, nested = gone
    for n in names:
        if attrs.get(n) is not None:  # null is what clbplan itself records for them (plans show it)
            attrs[n] = None
    for b, sub in nested.items():
        items = attrs.get(b)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                _drop_removed(item, sub)


def flat_instances(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A state document's instances, one dict each (``type``, ``name``, ``index``, ``id``,
    ``attributes``...), whichever layout the document has: for tools and tests that read the file."""
    out: list[dict[str, Any]] = []
    for r in doc.get("resources") or []:
        if "instances" not in r:  # clbplan's layout before format 4
            out.append(r)
            continue
        for inst in r["instances"]:
            attrs = inst.get("attributes") or {}
            out.append({"module": r.get("module", ""), "mode": r["mode"], "type": r["type"], "name": r["name"],
                        "index": inst.get("index_key"), "id": attrs.get("id"), "attributes": attrs,
                        "dependencies": inst.get("dependencies", [])})
    return out


def foreign_addresses(state: State) -> list[str]:
    """Addresses of the managed resources in ``state`` that clbplan keeps untouched (types it does
    not manage); data-source objects are not listed (Terraform re-reads them each run)."""
    out = []
    for r in state.foreign:
        if r.get("mode") != "managed":
            continue
        prefix = f"{r['module']}." if r.get("module") else ""
        out.append(f"{prefix}{r.get('type')}.{r.get('name')}")
    return sorted(out)


_REPORTED: set[tuple[str, str]] = set()


def report_foreign(state: State, where: str) -> None:
    """Say once per process and state which resources clbplan leaves alone (on stderr)."""
    import sys

    addrs = foreign_addresses(state)
    if not addrs or (where, state.lineage) in _REPORTED:
        return
    _REPORTED.add((where, state.lineage))
    shown = ", ".join(addrs[:8]) + (f" and {len(addrs) - 8} more" if len(addrs) > 8 else "")
    print(f"clbplan: the state {where} holds {len(addrs)} resource(s) of types clbplan does not manage "
          f"({shown}); they are kept in the state untouched and not planned.", file=sys.stderr)


def decode_legacy(doc: dict[str, Any]) -> State:
    """clbplan's format before 4 (``"version": 1``): a flat list of instances with their address."""
    st = State(lineage=doc["lineage"], serial=int(doc["serial"]), version=TF_STATE_VERSION,
               outputs=doc.get("outputs", {}))
    for r in doc.get("resources", []):
        rs = ResourceState.from_json(r)
        st.resources[rs.address] = rs
    return st


def encode_document(state: State, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole format-4 document (for ``state pull`` and the pg backend)."""
    from planner import __version__
    from planner.version import TERRAFORM_LANGUAGE_VERSION

    return {"version": TF_STATE_VERSION, "terraform_version": TERRAFORM_LANGUAGE_VERSION,
            "serial": state.serial, "lineage": state.lineage, "outputs": outputs_v4(state.outputs),
            "resources": resources, "check_results": None, "clbplan_version": __version__}


def dumps_document(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2) + "\n"

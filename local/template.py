"""Reads template.yaml the way the local stack needs it: functions, routes, tables, references."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class Tag(dict[str, Any]):
    """A CloudFormation short-form tag (!Ref, !GetAtt, !Sub ...) kept as {"Fn": value}."""


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return Tag({name: value})


_CfnLoader.add_multi_constructor("!", _tag)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    authorized: bool

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    handler: str
    layer_dirs: tuple[Path, ...]
    environment: dict[str, Any]
    events: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    body: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.body["Resources"])

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}

    def parameter_defaults(self) -> dict[str, Any]:
        return {name: p.get("Default") for name, p in self.body.get("Parameters", {}).items()}

    def function(self, logical_id: str) -> Function:
        resource = self.resources[logical_id]
        if resource["Type"] != "AWS::Serverless::Function":
            raise KeyError(f"{logical_id} is not a function of template.yaml")
        globals_ = self.body.get("Globals", {}).get("Function", {})
        props = {**globals_, **resource["Properties"]}
        layers = []
        for layer in props.get("Layers", []):
            layer_id = layer["Ref"] if isinstance(layer, dict) else layer
            layers.append(ROOT / self.resources[layer_id]["Properties"]["ContentUri"])
        environment = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        return Function(
            logical_id=logical_id,
            code_dir=ROOT / props["CodeUri"],
            handler=props["Handler"],
            layer_dirs=tuple(layers),
            environment=environment,
            events=props.get("Events", {}),
        )

    def functions(self) -> list[str]:
        return sorted(self.of_type("AWS::Serverless::Function"))

    def routes(self) -> list[Route]:
        found = []
        for logical_id in self.functions():
            for event in self.function(logical_id).events.values():
                if event["Type"] != "HttpApi":
                    continue
                props = event["Properties"]
                auth = props.get("Auth", {}).get("Authorizer")
                found.append(
                    Route(
                        method=props["Method"].upper(),
                        path=props["Path"],
                        function=logical_id,
                        authorized=auth != "NONE",
                    )
                )
        return found


@cache
def load(path: Path = TEMPLATE) -> Template:
    return Template(yaml.load(path.read_text(), Loader=_CfnLoader))  # noqa: S506 - SafeLoader subclass


# Pseudo parameters a !Sub may name, when refs do not (the stack's name builds a parameter's name).
PSEUDO = {"AWS::StackName": "cbxero-local", "AWS::Partition": "aws", "AWS::URLSuffix": "local"}


def resolve(value: Any, refs: dict[str, Any]) -> Any:
    """A template value with !Ref / !GetAtt / !Join / !Sub replaced from refs (local names)."""
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            if arg not in refs:
                raise KeyError(f"the local stack has no value for !Ref {arg}")
            return refs[arg]
        if fn == "Fn::GetAtt":
            name = ".".join(arg) if isinstance(arg, list) else arg
            return refs[name]
        if fn == "Fn::Join":
            sep, parts = arg
            items = resolve(parts, refs)
            flat = [x for part in items for x in (part if isinstance(part, list) else [part])]
            return sep.join(str(x) for x in flat)
        if fn == "Fn::Sub":
            return re.sub(
                r"\$\{([\w.:]+)\}",
                lambda m: str(refs[m.group(1)] if m.group(1) in refs else PSEUDO[m.group(1)]),
                arg,
            )
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value

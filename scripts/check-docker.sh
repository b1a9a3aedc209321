#!/usr/bin/env bash
# What can be checked of the Docker setup without a Docker engine (none runs on these
# machines): the compose file and Grafana's provisioning parse and fit together, the
# Dockerfile lints clean, and the image's CMD and HEALTHCHECK work when run directly
# against a local build (scripts/check-docker-cmd.ts). Building the image itself is not
# checked here. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
compose=examples/docker-compose.yml

# 1. The compose file: docker-compose's own validation where there is one, and in any case a
#    YAML parse with checks of how the services, the Dockerfile and Grafana's files fit.
if command -v docker-compose >/dev/null 2>&1; then
  docker-compose -f "$compose" config -q && echo "check-docker: docker-compose config: valid"
elif docker compose version >/dev/null 2>&1; then
  docker compose -f "$compose" config -q && echo "check-docker: docker compose config: valid"
else
  echo "check-docker: no docker-compose or compose plugin here; checking $compose with a YAML parser"
fi
python3 - "$compose" <<'PY'
import os, re, sys, yaml

path = sys.argv[1]
base = os.path.dirname(path)
compose = yaml.safe_load(open(path))
services = compose["services"]
assert set(services) == {"tracebox", "app", "grafana"}, f"services: {sorted(services)}"

dockerfile = open(os.path.join(base, services["tracebox"]["build"]["context"], "Dockerfile")).read()
stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I)
assert services["app"]["build"]["target"] in stages, f"app builds target {services['app']['build']['target']!r}, stages are {stages}"
assert re.search(r"^HEALTHCHECK\s", dockerfile, re.M), "depends_on: service_healthy needs a HEALTHCHECK"
for name in ("app", "grafana"):
    assert services[name]["depends_on"]["tracebox"]["condition"] == "service_healthy", name
assert any(v.endswith(":/data") for v in services["tracebox"]["volumes"]), "tracebox's data volume"
for port in ("3200", "4317", "4318"):
    assert f"{port}:{port}" in services["tracebox"]["ports"], port
env = services["app"]["environment"]
assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://tracebox:4318" and env["OTEL_SERVICE_NAME"], env
assert "examples/app.js" in " ".join(services["app"]["command"])

datasources = None
for volume in services["grafana"]["volumes"]:
    source, target = volume.split(":")[:2]
    source = os.path.join(base, source)
    assert os.path.exists(source), f"grafana mounts {source}, which is missing"
    if "/provisioning/datasources/" in target:
        datasources = yaml.safe_load(open(source))["datasources"]
assert datasources, "no datasource provisioning mounted into grafana"
(tempo,) = [d for d in datasources if d["type"] == "tempo"]
assert tempo["url"] == "http://tracebox:3200", tempo["url"]
# tracebox serves Tempo's streaming gRPC API on the query port: search and metrics stream.
assert tempo["jsonData"]["streamingEnabled"] == {"search": True, "metrics": True}, "streaming should be on"
# The service graph and node graph read tracebox's derived metrics through a Prometheus datasource.
(prom,) = [d for d in datasources if d["type"] == "prometheus"]
assert prom["url"] == "http://tracebox:3200", prom["url"]
assert prom.get("uid"), "the Prometheus datasource needs a uid for the service-map link"
assert tempo["jsonData"]["serviceMap"]["datasourceUid"] == prom["uid"], "serviceMap.datasourceUid must name the Prometheus datasource"
assert tempo["jsonData"].get("nodeGraph", {}).get("enabled") is True, "the node graph must be on"
# Log records through tracebox's Loki API, and the Tempo datasource's trace-to-logs pointing there.
(loki,) = [d for d in datasources if d["type"] == "loki"]
assert loki["url"] == "http://tracebox:3200", loki["url"]
assert loki.get("uid"), "the Loki datasource needs a uid for trace-to-logs"
t2l = tempo["jsonData"].get("tracesToLogsV2")
assert t2l, "the Tempo datasource needs tracesToLogsV2"
assert t2l["datasourceUid"] == loki["uid"], "tracesToLogsV2.datasourceUid must name the Loki datasource"
assert t2l.get("customQuery") is True, "trace-to-logs uses its own query"
# Provisioning expands $VAR and ${VAR}: Grafana's span variables must be written with $$.
query = t2l["query"]
assert "${" not in query.replace("$${", ""), f"unescaped ${{…}} in the trace-to-logs query: {query}"
q = query.replace("$${", "${")
assert q.startswith('{service_name="${__span.tags["service.name"]}"}'), f"stream selector on service_name: {q}"
for part in ('| trace_id="${__trace.traceId}"', '| span_id="${__span.spanId}"'):
    assert part in q, f"trace-to-logs query lacks {part}: {q}"
(link,) = loki["jsonData"]["derivedFields"]
assert link["matcherType"] == "label" and link["matcherRegex"] == "trace_id" and link["datasourceUid"] == tempo["uid"], link
assert len({d["uid"] for d in datasources}) == len(datasources), "datasource uids must differ"

# Images pinned to exact releases: a tag with a full version, never a floating one.
exact = re.compile(r"^[\w./-]+:\d+\.\d+\.\d+(-[\w.-]+)?$")
args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", dockerfile, re.M))
for ref in re.findall(r"^FROM\s+(\S+)", dockerfile, re.M):
    if ref in stages:
        continue
    image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), ref)
    assert exact.match(image), f"Dockerfile: FROM {image} is not pinned to an exact release"
for name, service in services.items():
    if "build" not in service:
        assert exact.match(service["image"]), f"{name}: image {service['image']} is not pinned to an exact release"
print(f"check-docker: {path}: services {', '.join(services)}; Grafana's Tempo datasource {tempo['url']}, streaming on, trace-to-logs through Loki datasource '{loki['uid']}', "
      f"service map through Prometheus datasource {prom['uid']!r}; images pinned")
PY

# 2. Dockerfile lint (dockerfile-utils, a devDependency): errors and warnings both fail.
lint=$(npx --no-install dockerfile-utils lint Dockerfile) || { echo "$lint" >&2; exit 1; }
[ -z "$lint" ] || { echo "$lint" >&2; echo "check-docker: Dockerfile lint warnings (above)" >&2; exit 1; }
echo "check-docker: Dockerfile lints clean"

# 3. The final stage's CMD and HEALTHCHECK, run directly against a local build.
npm run --silent build
node --import tsx scripts/check-docker-cmd.ts
echo "check-docker: ok ($((SECONDS - start)) s; the image itself was not built)"

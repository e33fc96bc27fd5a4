{{/*
Names, labels and shared pieces of the localfn chart. Helpers are named
`localfn.<thing>`; those that need more than the root context take a dict with
`root` and the extra keys they document.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "localfn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-<chart>` (the release alone when it already holds the chart name), or fullnameOverride. */}}
{{- define "localfn.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "localfn.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "localfn.labels" -}}
helm.sh/chart: {{ include "localfn.chart" . }}
{{ include "localfn.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: localfn
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels that select the release's pods. */}}
{{- define "localfn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "localfn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* metadata.annotations from commonAnnotations (renders nothing when empty). */}}
{{- define "localfn.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Selector labels of one function's pods. dict: root, function (its name). */}}
{{- define "localfn.function.selectorLabels" -}}
{{ include "localfn.selectorLabels" .root }}
app.kubernetes.io/component: function
localfn.io/function: {{ .function }}
{{- end -}}

{{/* Selector labels of one Ollama pool's pods. dict: root, pool (gpu or cpu). */}}
{{- define "localfn.ollama.selectorLabels" -}}
{{ include "localfn.selectorLabels" .root }}
app.kubernetes.io/component: ollama
localfn.io/pool: {{ .pool }}
{{- end -}}

{{/* Name of one function's Service (Knative or plain). dict: root, function. */}}
{{- define "localfn.function.name" -}}
{{- printf "%s%s" .root.Values.serving.functionNamePrefix .function | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Client Service of one Ollama pool. dict: root, pool. */}}
{{- define "localfn.ollama.serviceName" -}}
{{- printf "%s-ollama-%s" (include "localfn.fullname" .root | trunc 48 | trimSuffix "-") .pool -}}
{{- end -}}

{{/* Headless Service (the StatefulSet's serviceName) of one Ollama pool. dict: root, pool. */}}
{{- define "localfn.ollama.headlessServiceName" -}}
{{- printf "%s-headless" (include "localfn.ollama.serviceName" .) -}}
{{- end -}}

{{/* Headless Service listing only the ready pods of one Ollama pool: what the functions look up with ollama.balance least-load or prefix. dict: root, pool. */}}
{{- define "localfn.ollama.readyServiceName" -}}
{{- printf "%s-ready" (include "localfn.ollama.serviceName" . | trunc 57 | trimSuffix "-") -}}
{{- end -}}

{{/* The Ollama pools' scripts (ConfigMap data): the init container's model pull, the startup probe's warm-up. */}}
{{- define "localfn.ollama.scripts" -}}
{{- range $file := list "pull-models.sh" "warm-up.sh" }}
{{ $file }}: |
  {{- $.Files.Get (printf "files/%s" $file) | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The gauge one pool is scaled on: "demand" for the first pool in LOCALFN_ENGINES (the GPU
pool, or the CPU pool alone), counted even while the pool has no pods; "in_flight" for the
CPU pool behind the GPU pool, whose demand is always 0 (no request names it first): its
load is the calls that fail over to it. dict: root, pool.
*/}}
{{- define "localfn.ollama.scalingGauge" -}}
{{- ternary "in_flight" "demand" (and (eq .pool "cpu") .root.Values.ollama.gpu.enabled) -}}
{{- end -}}

{{/*
PromQL: that gauge for one pool summed over the release's function pods, 0 when no series
exists (functions scaled to zero, or not scraped yet). The backend label is the pool's
engine name in LOCALFN_ENGINES (localfn.engines). dict: root, pool.
*/}}
{{- define "localfn.ollama.scalingQuery" -}}
{{- printf "sum(localfn_engine_%s{backend=%q,%s}) or vector(0)" (include "localfn.ollama.scalingGauge" .) .pool (include "localfn.metrics.seriesSelector" .root) -}}
{{- end -}}

{{/* The TriggerAuthentication the chart renders for one pool's Prometheus credentials. dict: root, pool. */}}
{{- define "localfn.ollama.triggerAuthName" -}}
{{- printf "%s-prometheus" (include "localfn.ollama.serviceName" .) -}}
{{- end -}}

{{/* Name of the headless Service over the function pods' metrics port (what the ServiceMonitor selects). */}}
{{- define "localfn.metrics.serviceName" -}}
{{- printf "%s-function-metrics" (include "localfn.fullname" . | trunc 46 | trimSuffix "-") -}}
{{- end -}}

{{/* PromQL label matchers for the release's function series: metrics.seriesSelector, or the labels the chart's ServiceMonitor gives them. */}}
{{- define "localfn.metrics.seriesSelector" -}}
{{- default (printf "namespace=%q,service=%q" .Release.Namespace (include "localfn.metrics.serviceName" .)) .Values.metrics.seriesSelector -}}
{{- end -}}

{{/* The ServiceAccount the release's pods run as. */}}
{{- define "localfn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "localfn.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference from a dict with repository, tag, digest; `default` is the tag used when tag is empty. dict: image, default. */}}
{{- define "localfn.imageRef" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .default .image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/* The localfn image. */}}
{{- define "localfn.image" -}}
{{- include "localfn.imageRef" (dict "image" .Values.image "default" .Chart.AppVersion) -}}
{{- end -}}

{{/* The Ollama image. */}}
{{- define "localfn.ollama.image" -}}
{{- include "localfn.imageRef" (dict "image" .Values.ollama.image "default" "latest") -}}
{{- end -}}

{{/* The chart-managed Secret (cloud API key, database DSN, Redis URL). */}}
{{- define "localfn.secretName" -}}
{{- include "localfn.fullname" . -}}
{{- end -}}

{{/* "true" when the chart must create its Secret. */}}
{{- define "localfn.secret.needed" -}}
{{- if or (include "localfn.secret.data" .) .Values.state.redis.url -}}
true
{{- end -}}
{{- end -}}

{{/*
The values the chart's Secret holds for the enabled functions, as `key: value` lines (not
encoded): a `cloud.apiKey` or a `database.url` given inline, from whichever function has the
block. Empty when every credential comes from an existingSecret.
*/}}
{{- define "localfn.secret.data" -}}
{{- range $name, $fn := .Values.functions }}
{{- if $fn.enabled }}
{{- if and $fn.cloud $fn.cloud.apiKey (not $fn.cloud.existingSecret) }}
cloud-api-key: {{ $fn.cloud.apiKey | quote }}
{{- end }}
{{- if and $fn.database $fn.database.url (not $fn.database.existingSecret) }}
database-url: {{ $fn.database.url | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* LOCALFN_<FUNCTION>__, the start of a function's own settings (localfn.settings). Arg: the function's name. */}}
{{- define "localfn.function.envPrefix" -}}
{{- printf "LOCALFN_%s__" (. | upper | replace "-" "_") -}}
{{- end -}}

{{/*
One function's effective settings: functionDefaults deep-merged with the
function's `overrides`, as YAML (read back with fromYaml). dict: root, function.
*/}}
{{- define "localfn.function.config" -}}
{{- $fn := index .root.Values.functions .function -}}
{{- $cfg := mergeOverwrite (deepCopy .root.Values.functionDefaults) (deepCopy (default (dict) $fn.overrides)) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/*
The ordered engine pool as LOCALFN_ENGINES JSON: the GPU pool first, the CPU
pool second (kept while the pool is enabled, even at 0 replicas, so scaling it
up needs no new revision), then extraEngines. With ollama.balance least-load or
prefix a pool's entry names its ready-pods Service and the mode (the functions
call each pod); with `service`, its client Service.
*/}}
{{- define "localfn.engines" -}}
{{- $engines := list -}}
{{- $balance := $.Values.ollama.balance -}}
{{- range $pool := list "gpu" "cpu" -}}
{{- $p := index $.Values.ollama $pool -}}
{{- if $p.enabled -}}
{{- $ctx := dict "root" $ "pool" $pool -}}
{{- $host := printf "%s.%s.svc.%s" (include "localfn.ollama.serviceName" $ctx) $.Release.Namespace $.Values.clusterDomain -}}
{{- if ne $balance "service" -}}
{{- /* Absolute (final dot): each look-up is one DNS query, not one per search domain first (ndots 5). */ -}}
{{- $host = printf "%s.%s.svc.%s." (include "localfn.ollama.readyServiceName" $ctx) $.Release.Namespace $.Values.clusterDomain -}}
{{- end -}}
{{- $url := printf "http://%s:%d" $host (int $.Values.ollama.port) -}}
{{- $e := dict "name" $pool "kind" "ollama" "url" $url "model" $p.model -}}
{{- if ne $balance "service" -}}
{{- $_ := set $e "balance" $balance -}}
{{- end -}}
{{- if $p.visionModel -}}
{{- $_ := set $e "vision_model" $p.visionModel -}}
{{- end -}}
{{- $engines = append $engines $e -}}
{{- end -}}
{{- end -}}
{{- range $.Values.extraEngines -}}
{{- $engines = append $engines . -}}
{{- end -}}
{{- toJson $engines -}}
{{- end -}}

{{/*
Environment of one function container. dict: root, function, config.
PORT is set only in deployment mode: Knative sets it itself and rejects it.
*/}}
{{- define "localfn.function.env" -}}
{{- $root := .root -}}
{{- $fn := index $root.Values.functions .function -}}
{{- $s := $root.Values.settings -}}
- name: FUNCTION_TARGET
  value: {{ $fn.target | quote }}
- name: FUNCTION_SOURCE
  value: {{ $fn.source | quote }}
{{- if eq $root.Values.serving.mode "deployment" }}
- name: PORT
  value: "8080"
{{- end }}
# One server process per pod, so LOCALFN_MAX_IN_FLIGHT is the pod's limit.
- name: WORKERS
  value: "1"
- name: LOCALFN_ENGINES
  value: {{ include "localfn.engines" $root | quote }}
- name: LOCALFN_EMBEDDED
  value: "never"
- name: LOCALFN_REQUEST_TIMEOUT_S
  value: {{ $s.requestTimeoutSeconds | int64 | quote }}
- name: LOCALFN_CONNECT_TIMEOUT_S
  value: {{ $s.connectTimeoutSeconds | int64 | quote }}
- name: LOCALFN_ENGINE_COOLDOWN_S
  value: {{ $s.engineCooldownSeconds | int64 | quote }}
{{- if ne $root.Values.ollama.balance "service" }}
- name: LOCALFN_POD_REFRESH_S
  value: {{ $s.podRefreshSeconds | toString | quote }}
{{- end }}
- name: LOCALFN_KEEP_ALIVE
  value: {{ $s.keepAlive | quote }}
- name: LOCALFN_MAX_IN_FLIGHT
  value: {{ $s.maxInFlight | int64 | quote }}
{{- with (default $s.maxBodyBytes $fn.maxBodyBytes | int64) }}
- name: LOCALFN_MAX_BODY_BYTES
  value: {{ . | quote }}
{{- end }}
- name: LOCALFN_LOG_LEVEL
  value: {{ $s.logLevel | quote }}
{{- /* What a function's values hold beyond the common keys decides the rest: a `database` block
(history: PostgreSQL from a Secret, else SQLite at historyPath), an `issuer`, `allowedUsers`,
a `cloud` model. Its own settings are LOCALFN_<FUNCTION>__*, the services' LOCALFN_ISSUER__*
and LOCALFN_CLOUD__*. */}}
{{- $prefix := include "localfn.function.envPrefix" .function }}
{{- with $fn.database }}
{{- if or .existingSecret .url }}
- name: {{ $prefix }}DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "localfn.secretName" $root) .existingSecret | quote }}
      key: {{ ternary .existingSecretKey "database-url" (not (empty .existingSecret)) | quote }}
{{- else }}
- name: {{ $prefix }}HISTORY_PATH
  value: {{ $fn.historyPath | quote }}
{{- end }}
{{- end }}
{{- with $fn.issuer }}
{{- include "localfn.issuer.env" . }}
{{- end }}
{{- with $fn.allowedUsers }}
- name: {{ $prefix }}ALLOWED_USERS
  value: {{ join "," . | quote }}
{{- end }}
{{- with $fn.cloud }}
{{- if .url }}
- name: LOCALFN_CLOUD__URL
  value: {{ .url | quote }}
{{- end }}
{{- if .model }}
- name: LOCALFN_CLOUD__MODEL
  value: {{ .model | quote }}
{{- end }}
{{- if or .existingSecret .apiKey }}
- name: LOCALFN_CLOUD__API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default (include "localfn.secretName" $root) .existingSecret | quote }}
      key: {{ ternary .existingSecretKey "cloud-api-key" (not (empty .existingSecret)) | quote }}
{{- end }}
{{- end }}
{{- include "localfn.state.env" $root }}
{{- range $name, $value := .config.env }}
- name: {{ $name | quote }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/*
The signing settings of a function with an `issuer` block (LOCALFN_ISSUER__*). The keys file
is read from the Secret mounted by localfn.function.volumes; nothing secret is an env value.
Arg: the function's issuer values.
*/}}
{{- define "localfn.issuer.env" -}}
{{- if .keys.existingSecret }}
- name: LOCALFN_ISSUER__KEYS_FILE
  value: {{ include "localfn.issuer.keysFile" . | quote }}
{{- end }}
{{- with .proof }}
- name: LOCALFN_ISSUER__PROOF
  value: {{ . | quote }}
{{- end }}
{{- with .jwtAlg }}
- name: LOCALFN_ISSUER__JWT_ALG
  value: {{ . | quote }}
{{- end }}
{{- with .didWeb }}
- name: LOCALFN_ISSUER__DID_WEB
  value: {{ . | quote }}
{{- end }}
{{- with .didWebAllow }}
- name: LOCALFN_ISSUER__DID_WEB_ALLOW
  value: {{ join "," . | quote }}
{{- end }}
- name: LOCALFN_ISSUER__DID_WEB_TIMEOUT_S
  value: {{ .didWebTimeoutSeconds | toString | quote }}
{{- end -}}

{{/* Where the pods of a function with an `issuer` see its keys file. Arg: the function's issuer values. */}}
{{- define "localfn.issuer.keysFile" -}}
/var/run/secrets/localfn-issuer/{{ .keys.existingSecretKey }}
{{- end -}}

{{/* Volumes of one function pod (all emptyDir or Secret: allowed by Knative and the restricted PSS). dict: root, function. */}}
{{- define "localfn.function.volumes" -}}
{{- $fn := index .root.Values.functions .function -}}
- name: tmp
  emptyDir: {}
{{- if include "localfn.function.usesSqlite" $fn }}
- name: history
  emptyDir: {}
{{- end }}
{{- $issuer := $fn.issuer }}
{{- if and $issuer $issuer.keys.existingSecret }}
# Only the keys file, world-readable inside the pod (there is no fsGroup under Knative) and
# read-only; not optional: a missing Secret must stop the pod, not issue unsigned credentials.
- name: issuer-keys
  secret:
    secretName: {{ $issuer.keys.existingSecret | quote }}
    defaultMode: 0444
    items:
      - key: {{ $issuer.keys.existingSecretKey | quote }}
        path: {{ $issuer.keys.existingSecretKey | quote }}
{{- end }}
{{- if .root.Values.secretsDir.enabled }}
- name: localfn-secrets
  secret:
    secretName: {{ .root.Values.secretsDir.secretName | quote }}
    optional: true
{{- end }}
{{- end -}}

{{/* Volume mounts of one function container. dict: root, function. */}}
{{- define "localfn.function.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- $fn := index .root.Values.functions .function }}
{{- if include "localfn.function.usesSqlite" $fn }}
- name: history
  mountPath: {{ dir $fn.historyPath | quote }}
{{- end }}
{{- $issuer := $fn.issuer }}
{{- if and $issuer $issuer.keys.existingSecret }}
- name: issuer-keys
  mountPath: {{ dir (include "localfn.issuer.keysFile" $issuer) | quote }}
  readOnly: true
{{- end }}
{{- if .root.Values.secretsDir.enabled }}
- name: localfn-secrets
  mountPath: /var/run/secrets/localfn
  readOnly: true
{{- end }}
{{- end -}}

{{/* "true" when a function with a `database` block has none set and keeps its history in per-pod SQLite. Arg: the function's values. */}}
{{- define "localfn.function.usesSqlite" -}}
{{- with .database -}}
{{- if not (or .existingSecret .url) -}}
true
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Pod-template annotations that roll the pods when something they read changes
(the chart's Secret) plus the function's podAnnotations. dict: root, config.
*/}}
{{- define "localfn.function.podAnnotations" -}}
{{- if include "localfn.secret.needed" .root }}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- end }}
{{- with .config.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
The serving port and the probes of a container of the localfn image (the
functions and the dead-letter logger), for either serving mode. dict: root,
probes (readiness and liveness: path, periodSeconds, timeoutSeconds,
failureThreshold). Knative takes probes without a port (it fills in the serving
port) and one port named http1; Deployments name the port http.
*/}}
{{- define "localfn.container.serving" -}}
{{- $knative := eq .root.Values.serving.mode "knative" -}}
ports:
  - name: {{ ternary "http1" "http" $knative }}
    containerPort: 8080
    protocol: TCP
{{- range $kind := list "readiness" "liveness" }}
{{- $probe := index $.probes $kind }}
{{ $kind }}Probe:
  httpGet:
    path: {{ $probe.path }}
    {{- if not $knative }}
    port: http
    {{- end }}
  periodSeconds: {{ $probe.periodSeconds | int }}
  timeoutSeconds: {{ $probe.timeoutSeconds | int }}
  failureThreshold: {{ $probe.failureThreshold | int }}
  {{- if eq $kind "readiness" }}
  successThreshold: 1
  {{- end }}
{{- end }}
{{- end -}}

{{/* The function container, shared by Knative Services and Deployments. dict: root, function, config. */}}
{{- define "localfn.function.container" -}}
{{- $root := .root -}}
- name: function
  image: {{ include "localfn.image" $root | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  {{- include "localfn.container.serving" (dict "root" $root "probes" .config.probes) | nindent 2 }}
  env:
    {{- include "localfn.function.env" . | nindent 4 }}
  {{- with .config.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    {{- include "localfn.function.volumeMounts" . | nindent 4 }}
{{- end -}}

{{/* Which Redis the functions share state through: "deploy" (the chart's Valkey), "external", or "" (none: each pod keeps its own). */}}
{{- define "localfn.state.mode" -}}
{{- $r := .Values.state.redis -}}
{{- if $r.deploy -}}
deploy
{{- else if or $r.url $r.existingSecret -}}
external
{{- end -}}
{{- end -}}

{{/*
The shared-state variables of every function: the URL (the chart's Valkey, with
its password from a Secret; or the user's, whole from a Secret) and one key
prefix per installation. Nothing when no Redis is set.
*/}}
{{- define "localfn.state.env" -}}
{{- $r := .Values.state.redis -}}
{{- $mode := include "localfn.state.mode" . -}}
{{- if $mode }}
- name: LOCALFN_STATE_PREFIX
  value: {{ printf "%s:%s" .Release.Namespace .Release.Name | quote }}
{{- if eq $mode "deploy" }}
- name: LOCALFN_STATE_URL
  value: {{ printf "redis://%s.%s.svc.%s:%d/0" (include "localfn.redis.name" .) .Release.Namespace .Values.clusterDomain (int $r.port) | quote }}
- name: LOCALFN_STATE_PASSWORD
  valueFrom:
    secretKeyRef:
      {{- include "localfn.redis.passwordRef" . | nindent 6 }}
{{- else }}
- name: LOCALFN_STATE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "localfn.secretName" .) $r.existingSecret | quote }}
      key: {{ ternary $r.existingSecretKey "redis-url" (not (empty $r.existingSecret)) | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Name of the chart's Valkey: its StatefulSet, Service, NetworkPolicy and generated password Secret. */}}
{{- define "localfn.redis.name" -}}
{{- printf "%s-valkey" (include "localfn.fullname" . | trunc 56 | trimSuffix "-") -}}
{{- end -}}

{{/* The labels that select the chart's Valkey pod. */}}
{{- define "localfn.redis.selectorLabels" -}}
{{ include "localfn.selectorLabels" . }}
app.kubernetes.io/component: state
{{- end -}}

{{/* name and key of the chart's Valkey password: the user's Secret, or the generated one. */}}
{{- define "localfn.redis.passwordRef" -}}
{{- $auth := .Values.state.redis.auth -}}
name: {{ default (include "localfn.redis.name" .) $auth.existingSecret | quote }}
key: {{ ternary $auth.existingSecretKey "password" (not (empty $auth.existingSecret)) | quote }}
{{- end -}}

{{/* The Valkey image. */}}
{{- define "localfn.redis.image" -}}
{{- include "localfn.imageRef" (dict "image" .Values.state.redis.image "default" "latest") -}}
{{- end -}}

{{/* Name of the Broker the Triggers and the KafkaSource use. */}}
{{- define "localfn.brokerName" -}}
{{- if .Values.eventing.broker.create -}}
{{- default (include "localfn.fullname" .) .Values.eventing.broker.name -}}
{{- else -}}
{{- .Values.eventing.broker.name -}}
{{- end -}}
{{- end -}}

{{/*
KReference to one of the release's HTTP Services, as Triggers and delivery
specs name it: the Knative Service, or in deployment mode the plain v1 Service
(Knative Eventing resolves that to http://<name>.<namespace>.svc/, port 80).
dict: root, name.
*/}}
{{- define "localfn.serviceRef" -}}
apiVersion: {{ ternary "serving.knative.dev/v1" "v1" (eq .root.Values.serving.mode "knative") }}
kind: Service
name: {{ .name }}
{{- end -}}

{{/* Name of the chart's dead-letter logger (its ConfigMap, Service and, in deployment mode, Deployment). */}}
{{- define "localfn.deadLetterName" -}}
{{- printf "%s-dead-letter" (include "localfn.fullname" . | trunc 51 | trimSuffix "-") -}}
{{- end -}}

{{/* The labels that select the dead-letter logger's pods. */}}
{{- define "localfn.deadLetter.selectorLabels" -}}
{{ include "localfn.selectorLabels" . }}
app.kubernetes.io/component: dead-letter
{{- end -}}

{{/*
The dead-letter logger's container, shared by its Knative Service and its
Deployment: files/dead_letter.py (mounted from the ConfigMap) served by
functions-framework, probed like the functions (functionDefaults.probes).
*/}}
{{- define "localfn.deadLetter.container" -}}
- name: dead-letter
  image: {{ include "localfn.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["functions-framework"]
  args:
    - --target=dead_letter
    - --source=/etc/localfn/dead-letter/dead_letter.py
    - --signature-type=http
    - --host=0.0.0.0
  {{- include "localfn.container.serving" (dict "root" . "probes" .Values.functionDefaults.probes) | nindent 2 }}
  {{- with .Values.eventing.deadLetter.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    - name: source
      mountPath: /etc/localfn/dead-letter
      readOnly: true
{{- end -}}

{{/* Volumes of the dead-letter logger's pod. */}}
{{- define "localfn.deadLetter.volumes" -}}
- name: tmp
  emptyDir: {}
- name: source
  configMap:
    name: {{ include "localfn.deadLetterName" . }}
{{- end -}}

{{/* spec.delivery of the Broker and the Triggers: retries, backoff, dead-letter sink. */}}
{{- define "localfn.delivery" -}}
{{- $d := .Values.eventing.delivery -}}
{{- $dl := .Values.eventing.deadLetter -}}
deadLetterSink:
  {{- if $dl.create }}
  ref:
    {{- include "localfn.serviceRef" (dict "root" . "name" (include "localfn.deadLetterName" .)) | nindent 4 }}
  {{- else if $dl.ref }}
  ref:
    {{- toYaml $dl.ref | nindent 4 }}
  {{- else }}
  uri: {{ $dl.uri | quote }}
  {{- end }}
retry: {{ $d.retry | int }}
backoffPolicy: {{ $d.backoffPolicy }}
backoffDelay: {{ $d.backoffDelay | quote }}
{{- with $d.timeout }}
timeout: {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
A `helm test` pod: the localfn image runs `script` (Python, standard library only) with `env`
(a list of name/value pairs), restricted like every pod of the release. dict: root, name
(suffix of the pod's name), weight (helm runs lower weights first), script, env.
*/}}
{{- define "localfn.test.pod" -}}
{{- $root := .root -}}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "localfn.fullname" $root }}-test-{{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "localfn.labels" $root | nindent 4 }}
    app.kubernetes.io/component: test
  annotations:
    helm.sh/hook: test
    helm.sh/hook-weight: {{ .weight | quote }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    {{- with $root.Values.commonAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "localfn.serviceAccountName" $root }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .name }}
      image: {{ include "localfn.image" $root | quote }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      command: ["python", "-c"]
      args:
        - |
          {{- .script | nindent 10 }}
      env:
        {{- toYaml .env | nindent 8 }}
        - name: TIMEOUT_S
          value: {{ $root.Values.tests.timeoutSeconds | int | quote }}
      resources:
        requests:
          cpu: 10m
          memory: 64Mi
        limits:
          memory: 128Mi
      securityContext:
        {{- toYaml $root.Values.containerSecurityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: tmp
      emptyDir: {}
{{- end -}}

{{/* Base URL of one function's Service, as pods in the cluster call it. dict: root, function. */}}
{{- define "localfn.function.url" -}}
{{- $name := include "localfn.function.name" . -}}
{{- $host := printf "%s.%s.svc.%s" $name .root.Release.Namespace .root.Values.clusterDomain -}}
{{- ternary (printf "http://%s" $host) (printf "http://%s:%d" $host (.root.Values.serving.deployment.servicePort | int)) (eq .root.Values.serving.mode "knative") -}}
{{- end -}}

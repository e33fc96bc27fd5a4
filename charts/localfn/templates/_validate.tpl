{{/*
Checks of value combinations the schema cannot express. Each check renders one
line (or nothing); localfn.validateValues fails once, listing every problem.
*/}}

{{- define "localfn.validateValues" -}}
{{- $messages := list -}}
{{- $messages = append $messages (include "localfn.validateValues.knativeOnly" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.deploymentOnly" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.functions" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.engines" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.gpu" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.secrets" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.eventing" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.state" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.autoscaling" .) -}}
{{- $messages = append $messages (include "localfn.validateValues.warmUp" .) -}}
{{- $messages = without $messages "" -}}
{{- $message := regexReplaceAll "\n\\s*\n" (join "\n" $messages | trim) "\n" -}}
{{- if $message -}}
{{- printf "\nVALUES VALIDATION:\n%s" $message | fail -}}
{{- end -}}
{{- end -}}

{{/* Features that exist only with Knative Serving, chosen in deployment mode. */}}
{{- define "localfn.validateValues.knativeOnly" -}}
{{- if eq .Values.serving.mode "deployment" -}}
{{- range $function, $fn := .Values.functions }}
{{- if $fn.enabled }}
{{- $cfg := include "localfn.function.config" (dict "root" $ "function" $function) | fromYaml }}
{{- if lt ($cfg.autoscaling.minScale | int) 1 }}
localfn: functions.{{ $function }}: autoscaling.minScale=0 (scale to zero) needs Knative; a HorizontalPodAutoscaler keeps at least 1 pod
{{- end }}
{{- if lt ($cfg.autoscaling.maxScale | int) 1 }}
localfn: functions.{{ $function }}: autoscaling.maxScale=0 (unlimited) exists only on Knative; set a maximum for the HorizontalPodAutoscaler
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* Fields Knative rejects by default (feature flags off), chosen in knative mode. */}}
{{- define "localfn.validateValues.deploymentOnly" -}}
{{- if eq .Values.serving.mode "knative" -}}
{{- $kn := .Values.serving.knative }}
{{- $kpa := eq $kn.autoscalingClass "kpa.autoscaling.knative.dev" }}
{{- if and $kpa (not (has $kn.metric (list "concurrency" "rps"))) }}
localfn: serving.knative.metric={{ $kn.metric }} needs autoscalingClass=hpa.autoscaling.knative.dev (the KPA scales on concurrency or rps)
{{- else if and (not $kpa) (has $kn.metric (list "concurrency" "rps")) }}
localfn: serving.knative.metric={{ $kn.metric }} needs autoscalingClass=kpa.autoscaling.knative.dev (the HPA class scales on cpu or memory)
{{- end }}
{{- range $function, $fn := .Values.functions }}
{{- if $fn.enabled }}
{{- $cfg := include "localfn.function.config" (dict "root" $ "function" $function) | fromYaml }}
{{- range $field := list "nodeSelector" "tolerations" "affinity" }}
{{- if index $cfg $field }}
localfn: functions.{{ $function }}: {{ $field }} is rejected by Knative unless its kubernetes.podspec feature flag is on; it works only with serving.mode=deployment
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* Per-function limits that must agree with each other. */}}
{{- define "localfn.validateValues.functions" -}}
{{- $maxInFlight := .Values.settings.maxInFlight | int -}}
{{- $enabled := 0 -}}
{{- range $function, $fn := .Values.functions }}
{{- if $fn.enabled }}
{{- $enabled = add1 $enabled }}
{{- $cfg := include "localfn.function.config" (dict "root" $ "function" $function) | fromYaml }}
{{- $cc := $cfg.containerConcurrency | int }}
{{- $as := $cfg.autoscaling }}
{{- if or (lt $cc 1) (gt $cc $maxInFlight) }}
localfn: functions.{{ $function }}: containerConcurrency={{ $cc }} must be between 1 and settings.maxInFlight={{ $maxInFlight }} (the pod would accept requests it then refuses)
{{- end }}
{{- if gt ($as.target | int) $cc }}
localfn: functions.{{ $function }}: autoscaling.target={{ $as.target | int }} must not exceed containerConcurrency={{ $cc }}
{{- end }}
{{- if and (gt ($as.maxScale | int) 0) (lt ($as.maxScale | int) ($as.minScale | int)) }}
localfn: functions.{{ $function }}: autoscaling.maxScale={{ $as.maxScale | int }} is below minScale={{ $as.minScale | int }}
{{- end }}
{{- if and (gt ($as.maxScale | int) 0) (gt ($as.initialScale | int) ($as.maxScale | int)) }}
localfn: functions.{{ $function }}: autoscaling.initialScale={{ $as.initialScale | int }} is above maxScale={{ $as.maxScale | int }}
{{- end }}
{{- if le ($cfg.timeoutSeconds | int) ($.Values.settings.requestTimeoutSeconds | int) }}
localfn: functions.{{ $function }}: timeoutSeconds={{ $cfg.timeoutSeconds | int }} must exceed settings.requestTimeoutSeconds={{ $.Values.settings.requestTimeoutSeconds | int }} (the platform would cut calls the function still waits on)
{{- end }}
{{- if eq $.Values.serving.mode "knative" }}
{{- range $name, $_ := $cfg.env }}
{{- if has $name (list "PORT" "K_SERVICE" "K_CONFIGURATION" "K_REVISION") }}
localfn: functions.{{ $function }}: env {{ $name }} is reserved by Knative
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq $enabled 0 }}
localfn: no function is enabled
{{- end }}
{{- if and (eq .Values.serving.mode "deployment") .Values.serving.deployment.hpa.enabled (not .Values.serving.deployment.hpa.inFlight.enabled) (lt (.Values.serving.deployment.hpa.cpuUtilization | int) 1) }}
localfn: serving.deployment.hpa has no metric: set hpa.cpuUtilization above 0 or enable hpa.inFlight
{{- end }}
{{- end -}}

{{/* The engine pool: at least one engine, and each pool's models are the ones it pulls. */}}
{{- define "localfn.validateValues.engines" -}}
{{- if not (or .Values.ollama.gpu.enabled .Values.ollama.cpu.enabled .Values.extraEngines) }}
localfn: no engine: enable ollama.gpu or ollama.cpu, or list extraEngines
{{- end }}
{{- range $pool := list "gpu" "cpu" }}
{{- $p := index $.Values.ollama $pool }}
{{- if $p.enabled }}
{{- if not $p.model }}
localfn: ollama.{{ $pool }}.model is empty
{{- else if and (ne $.Values.ollama.modelPullPolicy "Never") (not (has $p.model $p.models)) }}
localfn: ollama.{{ $pool }}.model={{ $p.model }} is not in ollama.{{ $pool }}.models, so it is never pulled
{{- end }}
{{- if and $p.visionModel (ne $.Values.ollama.modelPullPolicy "Never") (not (has $p.visionModel $p.models)) }}
localfn: ollama.{{ $pool }}.visionModel={{ $p.visionModel }} is not in ollama.{{ $pool }}.models, so it is never pulled
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The GPU pool must ask for a GPU. */}}
{{- define "localfn.validateValues.gpu" -}}
{{- $gpu := .Values.ollama.gpu -}}
{{- if $gpu.enabled }}
{{- if not $gpu.gpu.resourceName }}
localfn: ollama.gpu.gpu.resourceName is empty: name the GPU resource (nvidia.com/gpu, or a MIG profile such as nvidia.com/mig-1g.10gb)
{{- else if not (regexMatch "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$" $gpu.gpu.resourceName) }}
localfn: ollama.gpu.gpu.resourceName={{ $gpu.gpu.resourceName }} is not an extended resource name (domain/name)
{{- end }}
{{- if lt ($gpu.gpu.count | int) 1 }}
localfn: ollama.gpu.gpu.count must be at least 1 (the GPU pool without a GPU is the CPU pool)
{{- end }}
{{- end }}
{{- end -}}

{{/* Secrets: one source each, and a key with nowhere to go is a mistake. */}}
{{- define "localfn.validateValues.secrets" -}}
{{- range $name, $fn := .Values.functions }}
{{- with $fn.cloud }}
{{- if and .apiKey .existingSecret }}
localfn: functions.{{ $name }}.cloud: set apiKey or existingSecret, not both
{{- end }}
{{- if and .apiKey (not .url) }}
localfn: functions.{{ $name }}.cloud.apiKey is set but cloud.url is empty
{{- end }}
{{- end }}
{{- with $fn.database }}
{{- if and .url .existingSecret }}
localfn: functions.{{ $name }}.database: set url or existingSecret, not both
{{- end }}
{{- end }}
{{- with $fn.issuer }}
{{- if and (has .proof (list "data-integrity" "jwt")) (not .keys.existingSecret) }}
localfn: functions.{{ $name }}.issuer.proof={{ .proof }} needs issuer.keys.existingSecret (the Secret holding the keys file)
{{- end }}
{{- if and (eq .jwtAlg "RS256") (not .didWeb) }}
localfn: functions.{{ $name }}.issuer.jwtAlg=RS256 needs issuer.didWeb: no did:key names an RSA key
{{- end }}
{{- if and .didWeb (not .keys.existingSecret) }}
localfn: functions.{{ $name }}.issuer.didWeb needs issuer.keys.existingSecret: its DID document publishes those keys
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.secretsDir.enabled (not .Values.secretsDir.secretName) }}
localfn: secretsDir.enabled=true needs secretsDir.secretName
{{- end }}
{{- end -}}

{{/* Eventing references that must resolve. */}}
{{- define "localfn.validateValues.eventing" -}}
{{- $ev := .Values.eventing -}}
{{- if $ev.enabled }}
{{- if and (not $ev.broker.create) (not $ev.broker.name) }}
localfn: eventing.broker.create=false needs eventing.broker.name (the existing Broker)
{{- end }}
{{- if and (not $ev.deadLetter.create) (not $ev.deadLetter.uri) (not $ev.deadLetter.ref) }}
localfn: eventing.deadLetter.create=false needs eventing.deadLetter.uri or eventing.deadLetter.ref (undeliverable events must go somewhere)
{{- end }}
{{- if and (eq .Values.serving.mode "deployment") (ne (.Values.serving.deployment.servicePort | int) 80) }}
localfn: serving.deployment.servicePort={{ .Values.serving.deployment.servicePort | int }} with eventing.enabled=true: Knative Eventing delivers to a v1 Service on port 80 (it adds no port to the Service's address); keep servicePort=80 or set eventing.enabled=false
{{- end }}
{{- if $ev.kafkaSource.enabled }}
{{- $target := index .Values.functions $ev.kafkaSource.function }}
{{- if not (and $target $target.enabled) }}
localfn: eventing.kafkaSource.function={{ $ev.kafkaSource.function }} is not an enabled function
{{- end }}
{{- end }}
{{- else if $ev.kafkaSource.enabled }}
localfn: eventing.kafkaSource.enabled=true needs eventing.enabled=true (the source feeds the Broker)
{{- end }}
{{- end -}}

{{/* Shared state: one Redis, named once. */}}
{{- define "localfn.validateValues.state" -}}
{{- $r := .Values.state.redis -}}
{{- if and $r.url $r.existingSecret }}
localfn: state.redis: set url or existingSecret, not both
{{- end }}
{{- if and $r.deploy (or $r.url $r.existingSecret) }}
localfn: state.redis.deploy=true runs the chart's Valkey: leave state.redis.url and state.redis.existingSecret empty (they name a Redis you run)
{{- end }}
{{- end -}}

{{/*
Engine autoscaling (KEDA): each autoscaled pool has a range, a Prometheus to ask and
series to ask about, one source of credentials; a GPU pool that may scale to zero has
a CPU pool with a pod to serve while a GPU node starts, unless callers may wait; and a
CPU pool behind the GPU pool keeps a pod (it scales on the calls it serves).
*/}}
{{- define "localfn.validateValues.autoscaling" -}}
{{- $o := .Values.ollama -}}
{{- range $pool := list "gpu" "cpu" }}
{{- $p := index $o $pool }}
{{- $as := $p.autoscaling }}
{{- if and $p.enabled $as.enabled }}
{{- $prom := $as.prometheus }}
{{- if lt ($as.maxReplicas | int) (max 1 ($as.minReplicas | int) | int) }}
localfn: ollama.{{ $pool }}.autoscaling.maxReplicas={{ $as.maxReplicas | int }} is below minReplicas={{ $as.minReplicas | int }} (or below 1)
{{- end }}
{{- if not $prom.serverAddress }}
localfn: ollama.{{ $pool }}.autoscaling.prometheus.serverAddress is empty: name the Prometheus KEDA asks for the functions' demand
{{- end }}
{{- if and $prom.authenticationRef $prom.secretTargetRefs }}
localfn: ollama.{{ $pool }}.autoscaling.prometheus: set authenticationRef (an existing TriggerAuthentication) or secretTargetRefs (the chart renders one), not both
{{- end }}
{{- if and (or $prom.authenticationRef $prom.secretTargetRefs) (not $prom.authModes) }}
localfn: ollama.{{ $pool }}.autoscaling.prometheus has credentials but no authModes: say how KEDA sends them (bearer, basic, tls or custom)
{{- else if and $prom.authModes (not (or $prom.authenticationRef $prom.secretTargetRefs)) }}
localfn: ollama.{{ $pool }}.autoscaling.prometheus.authModes={{ $prom.authModes }} needs credentials: authenticationRef or secretTargetRefs
{{- end }}
{{- if not (or $.Values.metrics.serviceMonitor.enabled $.Values.metrics.seriesSelector) }}
localfn: ollama.{{ $pool }}.autoscaling needs the functions' metrics in Prometheus: enable metrics.serviceMonitor, or set metrics.seriesSelector to the labels your Prometheus gives them
{{- end }}
{{- end }}
{{- end }}
{{- $gpu := $o.gpu -}}
{{- $cpu := $o.cpu -}}
{{- if and $gpu.enabled $cpu.enabled $cpu.autoscaling.enabled (eq ($cpu.autoscaling.minReplicas | int) 0) }}
localfn: ollama.cpu.autoscaling.minReplicas=0 behind the GPU pool would never wake: it scales on the calls that fail over to it, and a pool with no pod serves none; keep minReplicas >= 1
{{- end }}
{{- if and $gpu.enabled $gpu.autoscaling.enabled (eq ($gpu.autoscaling.minReplicas | int) 0) (not $gpu.autoscaling.allowColdStartWait) }}
{{- $cpuKeepsAPod := and $cpu.enabled (ternary (ge ($cpu.autoscaling.minReplicas | int) 1) (ge ($cpu.replicas | int) 1) $cpu.autoscaling.enabled) }}
{{- if not $cpuKeepsAPod }}
localfn: ollama.gpu.autoscaling.minReplicas=0 needs the CPU pool enabled with at least one pod (ollama.cpu.autoscaling.minReplicas >= 1, or ollama.cpu.replicas >= 1 without autoscaling): with neither, requests answer 503 for the minutes a GPU node takes to start; set ollama.gpu.autoscaling.allowColdStartWait=true if callers may wait
{{- end }}
{{- end }}
{{- end -}}

{{/* Warm-up: the models it loads are pulled, and fit in memory together (or each load evicts the last). */}}
{{- define "localfn.validateValues.warmUp" -}}
{{- range $pool := list "gpu" "cpu" }}
{{- $p := index $.Values.ollama $pool }}
{{- if and $p.enabled $p.warmUp.enabled $p.warmUp.models }}
{{- range $model := $p.warmUp.models }}
{{- if and (ne $.Values.ollama.modelPullPolicy "Never") (not (has $model $p.models)) }}
localfn: ollama.{{ $pool }}.warmUp.models: {{ $model }} is not in ollama.{{ $pool }}.models, so it is never pulled
{{- end }}
{{- end }}
{{- if gt (len $p.warmUp.models) ($p.settings.maxLoadedModels | int) }}
localfn: ollama.{{ $pool }}.warmUp.models lists {{ len $p.warmUp.models }} models but settings.maxLoadedModels={{ $p.settings.maxLoadedModels | int }}: each load would evict the one before
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

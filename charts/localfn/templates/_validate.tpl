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
{{- $route := index .Values.functions "route-query" -}}
{{- $badge := index .Values.functions "generate-badge" -}}
{{- if and $route.cloud.apiKey $route.cloud.existingSecret }}
localfn: functions.route-query.cloud: set apiKey or existingSecret, not both
{{- end }}
{{- if and $route.cloud.apiKey (not $route.cloud.url) }}
localfn: functions.route-query.cloud.apiKey is set but cloud.url is empty
{{- end }}
{{- if and $badge.database.url $badge.database.existingSecret }}
localfn: functions.generate-badge.database: set url or existingSecret, not both
{{- end }}
{{- $issuer := $badge.issuer }}
{{- if and (has $issuer.proof (list "data-integrity" "jwt")) (not $issuer.keys.existingSecret) }}
localfn: functions.generate-badge.issuer.proof={{ $issuer.proof }} needs issuer.keys.existingSecret (the Secret holding the keys file)
{{- end }}
{{- if and $issuer.didWeb (not $issuer.keys.existingSecret) }}
localfn: functions.generate-badge.issuer.didWeb needs issuer.keys.existingSecret: its DID document publishes those keys
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

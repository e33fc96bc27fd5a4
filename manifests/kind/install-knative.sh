#!/usr/bin/env bash
# Install Knative Serving (with Kourier) and Knative Eventing (in-memory channel,
# MT channel broker) on the current kubectl context, e.g. the kind cluster from
# manifests/kind/cluster.yaml. Pass --kafka to add Knative's KafkaSource.
#
#   kind create cluster --name localfn --config manifests/kind/cluster.yaml
#   manifests/kind/install-knative.sh [--kafka]
#
# Versions match the CRD schemas the chart tests validate against
# (assets/specs/knative/); override them with the variables below.
set -euo pipefail

SERVING_VERSION="${SERVING_VERSION:-knative-v1.23.0}"
KOURIER_VERSION="${KOURIER_VERSION:-knative-v1.23.0}"
EVENTING_VERSION="${EVENTING_VERSION:-knative-v1.22.2}"
KAFKA_VERSION="${KAFKA_VERSION:-knative-v1.22.3}"

releases="https://github.com"
serving="${releases}/knative/serving/releases/download/${SERVING_VERSION}"
kourier="${releases}/knative-extensions/net-kourier/releases/download/${KOURIER_VERSION}"
eventing="${releases}/knative/eventing/releases/download/${EVENTING_VERSION}"
kafka="${releases}/knative-extensions/eventing-kafka-broker/releases/download/${KAFKA_VERSION}"

with_kafka=false
for arg in "$@"; do
  case "${arg}" in
    --kafka) with_kafka=true ;;
    *) echo "usage: $0 [--kafka]" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

step "Knative Serving ${SERVING_VERSION}"
kubectl apply -f "${serving}/serving-crds.yaml"
kubectl wait --for=condition=Established --timeout=120s crd/services.serving.knative.dev
kubectl apply -f "${serving}/serving-core.yaml"

step "Kourier ${KOURIER_VERSION} as the Knative ingress"
kubectl apply -f "${kourier}/kourier.yaml"
kubectl patch configmap/config-network -n knative-serving --type merge \
  -p '{"data":{"ingress-class":"kourier.ingress.networking.knative.dev"}}'

# Images loaded with `kind load` (and by skaffold's kind profile) exist only on
# the nodes, so Knative must not try to resolve their tags in a registry.
step "Skip tag resolution for locally loaded images"
kubectl patch configmap/config-deployment -n knative-serving --type merge \
  -p '{"data":{"registries-skipping-tag-resolving":"kind.local,ko.local,dev.local,index.docker.io"}}'

step "Knative Eventing ${EVENTING_VERSION}"
kubectl apply -f "${eventing}/eventing-crds.yaml"
kubectl wait --for=condition=Established --timeout=120s crd/brokers.eventing.knative.dev
kubectl apply -f "${eventing}/eventing-core.yaml"
kubectl apply -f "${eventing}/in-memory-channel.yaml"
kubectl apply -f "${eventing}/mt-channel-broker.yaml"

if "${with_kafka}"; then
  step "Knative KafkaSource ${KAFKA_VERSION} (Kafka itself is not installed: see docs/deploy.md)"
  kubectl apply -f "${kafka}/eventing-kafka-controller.yaml"
  kubectl apply -f "${kafka}/eventing-kafka-source.yaml"
fi

step "Waiting for the Knative control planes"
kubectl wait --for=condition=Available --timeout=300s deployment --all -n knative-serving
kubectl wait --for=condition=Available --timeout=300s deployment --all -n kourier-system
kubectl wait --for=condition=Available --timeout=300s deployment --all -n knative-eventing
echo "Knative is ready."

{{/* Names, labels and switches shared by every template of the chart. */}}

{{- define "tokenfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-tokenfleet", or just the release name when it already says tokenfleet. */}}
{{- define "tokenfleet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tokenfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tokenfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tokenfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tokenfleet.labels" -}}
helm.sh/chart: {{ include "tokenfleet.chart" . }}
{{ include "tokenfleet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tokenfleet
{{- end }}

{{- define "tokenfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tokenfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest pins it. */}}
{{- define "tokenfleet.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "tokenfleet.peeringName" -}}
{{- default (include "tokenfleet.fullname" .) .Values.peering.name }}
{{- end }}

{{/* "true" when the operator serves the whole cluster (no watchNamespaces). */}}
{{- define "tokenfleet.clusterwide" -}}
{{- if .Values.operator.watchNamespaces }}false{{ else }}true{{ end }}
{{- end }}

{{/*
"true" or "false": whether to render an object of an optional API. `value` is the values switch
("auto", true or false); with "auto" the cluster decides: `api` ("group/version/Kind") served.
*/}}
{{- define "tokenfleet.optionalAPI" -}}
{{- $value := .value }}
{{- if eq (toString $value) "auto" }}
{{- .root.Capabilities.APIVersions.Has .api }}
{{- else }}
{{- $value }}
{{- end }}
{{- end }}

{{- define "tokenfleet.serviceMonitor.enabled" -}}
{{- include "tokenfleet.optionalAPI" (dict "root" . "value" .Values.metrics.serviceMonitor.enabled "api" "monitoring.coreos.com/v1/ServiceMonitor") }}
{{- end }}

{{- define "tokenfleet.prometheusRule.enabled" -}}
{{- include "tokenfleet.optionalAPI" (dict "root" . "value" .Values.prometheusRule.enabled "api" "monitoring.coreos.com/v1/PrometheusRule") }}
{{- end }}

{{- define "tokenfleet.dashboards.namespace" -}}
{{- default .Release.Namespace .Values.dashboards.namespace }}
{{- end }}

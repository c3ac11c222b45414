{{/*
Names and labels. On this platform the release name is the service name, so
objects are named after the release rather than "<release>-<chart>".
*/}}
{{- define "service.name" -}}
{{- default .Release.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "service.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The preview Service of a blue/green Rollout. A Service name is a DNS-1035 label (at most
63 characters): the suffix is kept and the service name shortened to make room.
*/}}
{{- define "service.previewName" -}}
{{- printf "%s-preview" (include "service.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{/*
A job setting or its default. `| default` treats 0 and false as unset, so
`backoffLimit: 0` (never retry) would silently become 1; hasKey keeps an explicit zero.
Usage: include "service.orDefault" (list $job "backoffLimit" 1)
*/}}
{{- define "service.orDefault" -}}
{{- $map := index . 0 -}}{{- $key := index . 1 -}}
{{- if hasKey $map $key }}{{ index $map $key }}{{ else }}{{ index . 2 }}{{ end -}}
{{- end -}}

{{- define "service.serviceAccountName" -}}
{{- include "service.fullname" . -}}
{{- end -}}

{{- define "service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "service.labels" -}}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "service.name" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
platform.example.com/team: {{ .Values.monitoring.team }}
{{- with .Values.profile }}
platform.example.com/profile: {{ . }}
{{- end }}
{{- end -}}

{{/* Pods that serve traffic; CronJob pods carry another component. */}}
{{- define "service.serverSelectorLabels" -}}
{{ include "service.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end -}}

{{/* repository:tag@digest: the tag documents, the digest pins. Checked in _validate.tpl. */}}
{{- define "service.image" -}}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag .Values.image.digest -}}
{{- end -}}

{{- define "service.workloadKind" -}}
{{- if .Values.blueGreen.enabled }}Rollout{{ else }}Deployment{{ end -}}
{{- end -}}

{{- define "service.workloadApiVersion" -}}
{{- if .Values.blueGreen.enabled }}argoproj.io/v1alpha1{{ else }}apps/v1{{ end -}}
{{- end -}}

{{- define "service.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
fsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "service.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment shared by the server and the CronJobs: values.env plus the shutdown timings. */}}
{{- define "service.env" -}}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
- name: {{ .Values.shutdown.drainEnvVar }}
  value: {{ .Values.shutdown.drainSeconds | quote }}
- name: {{ .Values.shutdown.timeoutEnvVar }}
  value: {{ .Values.shutdown.timeoutSeconds | quote }}
{{- end -}}

{{- define "service.envFrom" -}}
{{- if and .Values.externalSecret.enabled (eq .Values.externalSecret.exposeAs "env") }}
envFrom:
  - secretRef:
      name: {{ include "service.fullname" . }}
{{- end }}
{{- end -}}

{{- define "service.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- if and .Values.externalSecret.enabled (eq .Values.externalSecret.exposeAs "file") }}
  - name: external-secret
    mountPath: {{ .Values.externalSecret.mountPath }}
    readOnly: true
{{- end }}
{{- end -}}

{{- define "service.volumes" -}}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if and .Values.externalSecret.enabled (eq .Values.externalSecret.exposeAs "file") }}
  - name: external-secret
    secret:
      secretName: {{ include "service.fullname" . }}
      defaultMode: 0440
{{- end }}
{{- end -}}

{{/*
The server's pod template, shared by the Deployment and the Rollout.
*/}}
{{- define "service.podTemplate" -}}
{{- $hashLabel := ternary "rollouts-pod-template-hash" "pod-template-hash" .Values.blueGreen.enabled -}}
metadata:
  labels:
    {{- include "service.labels" . | nindent 4 }}
    app.kubernetes.io/component: server
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "service.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountToken }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  enableServiceLinks: false
  securityContext:
    {{- include "service.podSecurityContext" . | nindent 4 }}
  topologySpreadConstraints:
    - topologyKey: topology.kubernetes.io/zone
      maxSkew: {{ .Values.topologySpread.zone.maxSkew }}
      whenUnsatisfiable: {{ .Values.topologySpread.zone.whenUnsatisfiable }}
      {{- if gt (int .Values.topologySpread.zone.minDomains) 0 }}
      minDomains: {{ .Values.topologySpread.zone.minDomains }}
      {{- end }}
      labelSelector:
        matchLabels:
          {{- include "service.serverSelectorLabels" . | nindent 10 }}
      # Only pods of the same revision count, so a rollout does not skew the spread.
      matchLabelKeys: [{{ $hashLabel }}]
    - topologyKey: kubernetes.io/hostname
      maxSkew: {{ .Values.topologySpread.node.maxSkew }}
      whenUnsatisfiable: {{ .Values.topologySpread.node.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "service.serverSelectorLabels" . | nindent 10 }}
      matchLabelKeys: [{{ $hashLabel }}]
  containers:
    - name: {{ include "service.name" . }}
      image: {{ include "service.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      {{- with .Values.args }}
      args:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.containerPort }}
          protocol: TCP
      env:
        {{- include "service.env" . | trim | nindent 8 }}
      {{- with include "service.envFrom" . | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- include "service.containerSecurityContext" . | nindent 8 }}
      startupProbe:
        httpGet:
          path: {{ .Values.probes.livenessPath }}
          port: http
        {{- toYaml .Values.probes.startup | nindent 8 }}
      livenessProbe:
        httpGet:
          path: {{ .Values.probes.livenessPath }}
          port: http
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        httpGet:
          path: {{ .Values.probes.readinessPath }}
          port: http
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      lifecycle:
        # A native sleep: the image has no shell or sleep binary. It holds SIGTERM back
        # until the ALB and kube-proxy have stopped sending new connections.
        preStop:
          sleep:
            seconds: {{ .Values.shutdown.preStopSeconds }}
      {{- include "service.volumeMounts" . | nindent 6 }}
  {{- include "service.volumes" . | nindent 2 }}
{{- end -}}

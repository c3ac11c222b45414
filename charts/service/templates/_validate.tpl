{{/*
Rules that values.schema.json cannot express (cross-field), checked before anything is
rendered. Each message names the field and the fix.
*/}}
{{- define "service.validate" -}}
{{- $v := .Values -}}

{{- if not $v.image.repository -}}
{{- fail "image.repository is empty: set it to the registry path of the image, e.g. <account>.dkr.ecr.<region>.amazonaws.com/<service>" -}}
{{- end -}}
{{- if not $v.image.tag -}}
{{- fail "image.tag is empty: set an immutable release tag such as v1.2.3 (with image.digest)" -}}
{{- end -}}
{{- if eq (lower $v.image.tag) "latest" -}}
{{- fail "image.tag must not be 'latest': set an immutable release tag such as v1.2.3 (with image.digest)" -}}
{{- end -}}
{{- if not $v.image.digest -}}
{{- fail (printf "image.digest is empty: set the sha256 digest of %s:%s (sha256:<64 hex>) so the running image is exactly the one tested" $v.image.repository $v.image.tag) -}}
{{- end -}}

{{- $sd := $v.shutdown -}}
{{- $serving := add $sd.preStopSeconds $sd.drainSeconds -}}
{{- if gt (int $v.ingress.deregistrationDelaySeconds) (int $serving) -}}
{{- fail (printf "ingress.deregistrationDelaySeconds (%d) must be <= shutdown.preStopSeconds + shutdown.drainSeconds (%d): the ALB would still send requests to a pod that has stopped serving; lower the delay or raise preStop/drain" (int $v.ingress.deregistrationDelaySeconds) (int $serving)) -}}
{{- end -}}
{{- $total := add $serving $sd.timeoutSeconds -}}
{{- if ge (int $total) (int $v.terminationGracePeriodSeconds) -}}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be > shutdown.preStopSeconds + drainSeconds + timeoutSeconds (%d): the kubelet would SIGKILL in-flight requests; raise the grace period" (int $v.terminationGracePeriodSeconds) (int $total)) -}}
{{- end -}}
{{- $notice := mul $v.probes.readiness.periodSeconds $v.probes.readiness.failureThreshold -}}
{{- if gt (int $notice) (int $sd.drainSeconds) -}}
{{- fail (printf "probes.readiness.periodSeconds x failureThreshold (%d s) must be <= shutdown.drainSeconds (%d s): the pod must be seen unready before its listener closes" (int $notice) (int $sd.drainSeconds)) -}}
{{- end -}}
{{- if eq $sd.drainEnvVar $sd.timeoutEnvVar -}}
{{- fail "shutdown.drainEnvVar and shutdown.timeoutEnvVar must be different variables" -}}
{{- end -}}
{{- range $name := list $sd.drainEnvVar $sd.timeoutEnvVar -}}
{{- if hasKey $v.env $name -}}
{{- fail (printf "env.%s is set by the chart from shutdown.*: remove it from env and set shutdown.drainSeconds / shutdown.timeoutSeconds instead" $name) -}}
{{- end -}}
{{- end -}}

{{- $sqs := $v.autoscaling.sqsQueue -}}
{{- if and $sqs.enabled (not $v.autoscaling.enabled) -}}
{{- fail "autoscaling.sqsQueue.enabled needs autoscaling.enabled (the queue trigger is part of the ScaledObject)" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled $sqs.enabled (or (not $sqs.queueURL) (not $sqs.awsRegion)) -}}
{{- fail "autoscaling.sqsQueue needs queueURL and awsRegion (the event-queue outputs of the environment)" -}}
{{- end -}}
{{- if and $v.autoscaling.enabled (eq (int $v.autoscaling.minReplicas) 0) (not $sqs.enabled) -}}
{{- fail "autoscaling.minReplicas is 0 without autoscaling.sqsQueue: CPU and request rate cannot wake a service scaled to zero; only a queue trigger can" -}}
{{- end -}}
{{- if $v.autoscaling.enabled -}}
{{- if gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas) -}}
{{- fail (printf "autoscaling.minReplicas (%d) must be <= autoscaling.maxReplicas (%d)" (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- end -}}
{{- $floor := ternary $v.autoscaling.minReplicas $v.replicaCount $v.autoscaling.enabled -}}
{{- if and $v.pdb.enabled (lt (int $floor) 2) -}}
{{- fail (printf "%s is %d with pdb.enabled: a PDB over one replica either blocks every node drain or protects nothing; use at least 2 replicas" (ternary "autoscaling.minReplicas" "replicaCount" $v.autoscaling.enabled) (int $floor)) -}}
{{- end -}}
{{- if and $v.pdb.enabled (ge (int $v.pdb.maxUnavailable) (int $floor)) -}}
{{- fail (printf "pdb.maxUnavailable (%d) must be lower than the replica floor (%d), or a drain may take every pod at once" (int $v.pdb.maxUnavailable) (int $floor)) -}}
{{- end -}}
{{- if and (gt (int $v.topologySpread.zone.minDomains) 0) (ne $v.topologySpread.zone.whenUnsatisfiable "DoNotSchedule") -}}
{{- fail "topologySpread.zone.minDomains needs topologySpread.zone.whenUnsatisfiable: DoNotSchedule (Kubernetes ignores it otherwise)" -}}
{{- end -}}

{{- if $v.ingress.enabled -}}
{{- if not $v.ingress.host -}}
{{- fail "ingress.host is empty: set the public hostname, e.g. <service>.<env>.example.com, or set ingress.enabled: false" -}}
{{- end -}}
{{- if not $v.ingress.certificateArn -}}
{{- fail "ingress.certificateArn is empty: set the ACM certificate ARN for ingress.host (the ALB only serves HTTPS)" -}}
{{- end -}}
{{- if and $v.networkPolicy.enabled (not $v.networkPolicy.ingressCidrs) -}}
{{- fail "networkPolicy.ingressCidrs is empty while ingress is enabled: the ALB could not reach the pods; set the CIDRs of the ALB's subnets" -}}
{{- end -}}
{{- end -}}

{{- if $v.externalSecret.enabled -}}
{{- if not $v.externalSecret.data -}}
{{- fail "externalSecret.data is empty: list the secrets to sync ([{secretKey, remoteRef: {key}}]) or set externalSecret.enabled: false" -}}
{{- end -}}
{{- end -}}

{{- range $name, $job := $v.cronJobs -}}
{{- if not $job.schedule -}}
{{- fail (printf "cronJobs.%s.schedule is empty: set a cron expression such as \"*/15 * * * *\"" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}

// Which @kubernetes-models class validates which custom resource, and the extra
// strictness the packaged validators lack: they accept unknown fields, so a misspelt
// key (e.g. `minReplicas` in a ScaledObject) would pass silently. The allow-lists below
// are the fields of the operators' CRDs at the versions the platform supports; extend
// them when an operator adds a field the platform starts to use.

const load = (path, name) => async () => (await import(path))[name];

export const MODELS = {
  "argoproj.io/v1alpha1/Application": load("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application", "Application"),
  "argoproj.io/v1alpha1/ApplicationSet": load("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet", "ApplicationSet"),
  "argoproj.io/v1alpha1/AppProject": load("@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject", "AppProject"),
  "argoproj.io/v1alpha1/Rollout": load("@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout", "Rollout"),
  "argoproj.io/v1alpha1/AnalysisTemplate": load("@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate", "AnalysisTemplate"),
  "monitoring.coreos.com/v1/ServiceMonitor": load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "ServiceMonitor"),
  "monitoring.coreos.com/v1/PodMonitor": load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor", "PodMonitor"),
  "monitoring.coreos.com/v1/PrometheusRule": load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule", "PrometheusRule"),
  "monitoring.coreos.com/v1/Probe": load("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Probe", "Probe"),
  "external-secrets.io/v1beta1/ExternalSecret": load("@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ExternalSecret", "ExternalSecret"),
  "external-secrets.io/v1beta1/SecretStore": load("@kubernetes-models/external-secrets/external-secrets.io/v1beta1/SecretStore", "SecretStore"),
  "external-secrets.io/v1beta1/ClusterSecretStore": load("@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ClusterSecretStore", "ClusterSecretStore"),
  "keda.sh/v1alpha1/ScaledObject": load("@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject", "ScaledObject"),
  "keda.sh/v1alpha1/TriggerAuthentication": load("@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication", "TriggerAuthentication"),
};

// external-secrets.io/v1 (ESO >= 0.16) kept the v1beta1 ExternalSecret and store specs
// unchanged; the packaged schemas stop at v1beta1, so v1 objects are checked with them.
export const SCHEMA_ALIASES = { "external-secrets.io/v1": "external-secrets.io/v1beta1" };

const unknownKeys = (object, allowed, path) =>
  object && typeof object === "object" && !Array.isArray(object)
    ? Object.keys(object)
        .filter((key) => !allowed.includes(key))
        .map((key) => `${path}/${key} is not a known field (allowed: ${allowed.join(", ")})`)
    : [];

const eachItem = (list, allowed, path) =>
  Array.isArray(list) ? list.flatMap((item, i) => unknownKeys(item, allowed, `${path}/${i}`)) : [];

const TOP = ["apiVersion", "kind", "metadata", "spec"];

const strict = (specKeys, nested = () => []) => (doc) => [
  ...unknownKeys(doc, TOP.concat(doc.kind === "Application" ? ["operation"] : []), ""),
  ...unknownKeys(doc.spec, specKeys, "/spec"),
  ...nested(doc.spec ?? {}),
];

export const EXTRA_CHECKS = {
  ServiceMonitor: strict(
    ["jobLabel", "targetLabels", "podTargetLabels", "endpoints", "selector", "selectorMechanism",
      "namespaceSelector", "sampleLimit", "scrapeProtocols", "fallbackScrapeProtocol", "targetLimit",
      "labelLimit", "labelNameLengthLimit", "labelValueLengthLimit", "keepDroppedTargets",
      "attachMetadata", "scrapeClass", "bodySizeLimit", "scrapeClassicHistograms",
      "nativeHistogramBucketLimit", "nativeHistogramMinBucketFactor", "convertClassicHistogramsToNHCB",
      "serviceDiscoveryRole"],
    (spec) => eachItem(spec.endpoints,
      ["port", "targetPort", "path", "scheme", "params", "interval", "scrapeTimeout", "tlsConfig",
        "bearerTokenFile", "bearerTokenSecret", "authorization", "honorLabels", "honorTimestamps",
        "trackTimestampsStaleness", "basicAuth", "oauth2", "metricRelabelings", "relabelings",
        "proxyUrl", "noProxy", "proxyFromEnvironment", "proxyConnectHeader", "followRedirects",
        "enableHttp2", "filterRunning"],
      "/spec/endpoints"),
  ),
  PrometheusRule: strict(["groups"], (spec) => [
    ...eachItem(spec.groups, ["name", "interval", "rules", "partial_response_strategy", "limit", "query_offset", "labels"], "/spec/groups"),
    ...(spec.groups ?? []).flatMap((g, i) =>
      eachItem(g.rules, ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"], `/spec/groups/${i}/rules`)),
  ]),
  ScaledObject: strict(
    ["scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
      "minReplicaCount", "maxReplicaCount", "advanced", "triggers", "fallback"],
    (spec) => eachItem(spec.triggers, ["type", "name", "metadata", "authenticationRef", "metricType", "useCachedMetrics"], "/spec/triggers"),
  ),
  // Fields of TriggerAuthenticationSpec and AuthPodIdentity in KEDA v2.17.2
  // (apis/keda/v1alpha1/triggerauthentication_types.go; the keda chart's appVersion).
  TriggerAuthentication: strict(
    ["podIdentity", "secretTargetRef", "configMapTargetRef", "env", "hashiCorpVault", "azureKeyVault",
      "gcpSecretManager", "awsSecretManager", "boundServiceAccountToken"],
    (spec) => [
      ...unknownKeys(spec.podIdentity,
        ["provider", "identityId", "identityTenantId", "identityAuthorityHost", "roleArn", "identityOwner"],
        "/spec/podIdentity"),
      ...(spec.podIdentity && !["azure-workload", "gcp", "aws", "aws-eks", "none"].includes(spec.podIdentity.provider)
        ? [`/spec/podIdentity/provider ${spec.podIdentity.provider} is not a provider of KEDA 2.17`] : []),
      ...(spec.podIdentity?.identityOwner !== undefined && !["keda", "workload"].includes(spec.podIdentity.identityOwner)
        ? [`/spec/podIdentity/identityOwner ${spec.podIdentity.identityOwner} is neither keda nor workload`] : []),
    ],
  ),
  ExternalSecret: strict(["secretStoreRef", "target", "refreshInterval", "refreshPolicy", "data", "dataFrom"]),
  Rollout: strict(
    ["replicas", "selector", "template", "workloadRef", "minReadySeconds", "revisionHistoryLimit", "paused",
      "progressDeadlineSeconds", "progressDeadlineAbort", "restartAt", "rollbackWindow", "strategy", "analysis"],
    (spec) => unknownKeys(spec.strategy?.blueGreen,
      ["activeService", "previewService", "autoPromotionEnabled", "autoPromotionSeconds", "maxUnavailable",
        "scaleDownDelaySeconds", "scaleDownDelayRevisionLimit", "abortScaleDownDelaySeconds",
        "previewReplicaCount", "prePromotionAnalysis", "postPromotionAnalysis", "previewMetadata",
        "activeMetadata", "antiAffinity"],
      "/spec/strategy/blueGreen"),
  ),
  Application: strict(["project", "source", "sources", "sourceHydrator", "destination", "syncPolicy",
    "ignoreDifferences", "info", "revisionHistoryLimit"]),
  ApplicationSet: strict(["generators", "template", "templatePatch", "syncPolicy", "strategy", "goTemplate",
    "goTemplateOptions", "preservedFields", "ignoreApplicationDifferences", "applyNestedSelectors"]),
  AppProject: strict(["sourceRepos", "destinations", "description", "roles", "clusterResourceWhitelist",
    "clusterResourceBlacklist", "namespaceResourceWhitelist", "namespaceResourceBlacklist",
    "orphanedResources", "syncWindows", "signatureKeys", "sourceNamespaces",
    "permitOnlyProjectScopedClusters", "destinationServiceAccounts"]),
};

#!/usr/bin/env python3
"""Generate pathhound's action -> k9 access capability tables.

Reads the AWS action catalogue (../shared/data/iam-actions.json by default; never copied into the
repo) and the AWS managed policies (../shared/data/aws-managed-policies.json), classifies every
catalogue action into k9 Security's access capabilities and writes three TSV tables into
src/capability/generated/:

  actions.tsv         action, capabilities, resource_types
  services.tsv        prefix, service_name (k9-style short service name)
  resource_types.tsv  prefix, resource_type, arn_pattern

The rules are documented in docs/capabilities.md; the tables below are the source of truth.
Output is deterministic (sorted, "\n" line endings, UTF-8, no timestamps). Stdlib only.

Usage: python3 scripts/gen_capabilities.py [--catalogue PATH] [--policies PATH] [--out DIR]
"""

import argparse
import collections
import json
import os
import re
import sys

# --------------------------------------------------------------------------------------------
# Capabilities, in the fixed output order.
# --------------------------------------------------------------------------------------------
ADMIN = "administer-resource"
RCONF = "read-config"
USE = "use-resource"
RDATA = "read-data"
WDATA = "write-data"
DDATA = "delete-data"
UNCL = "unclassified-access"
CAPABILITIES = [ADMIN, RCONF, USE, RDATA, WDATA, DDATA, UNCL]
READ_ONLY_CAPS = {RCONF, RDATA}

# --------------------------------------------------------------------------------------------
# Layer 1: published k9 mappings (scripts/k9_capabilities.json, k9-cdk capability_summary.json)
# plus seed 000's older S3 excerpt ("How k9 works"), which must hold too. For an action named
# here the capabilities are exactly the union of every list it appears in.
# --------------------------------------------------------------------------------------------
SEED_000_S3 = {
    RDATA: [
        "s3:ListBucket", "s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectLegalHold",
        "s3:GetObjectRetention", "s3:GetObjectTagging", "s3:GetObjectTorrent", "s3:GetObjectVersion",
        "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:GetObjectVersionTorrent",
        "s3:ListMultipartUploadParts",
    ],
    WDATA: [
        "s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectVersionAcl",
        "s3:PutObjectVersionTagging", "s3:RestoreObject",
    ],
    DDATA: ["s3:DeleteObject", "s3:DeleteObjectVersion"],
}
# k9's STS use-resource list; restated so the invariant is checked even if the JSON changes.
# Corrections to k9's 2022 lists, each with its reason. k9's lists are otherwise kept exactly.
K9_CORRECTIONS = {
    # Viewing query text in the console reads data; ReadOnlyAccess grants it. k9 lists it as
    # write-data, which would make every ReadOnlyAccess holder a Redshift writer.
    "redshift:ViewQueriesInConsole": {RDATA},
}

STS_ASSUME = ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"]

# --------------------------------------------------------------------------------------------
# Layer 2: deliberately unclassified actions (the only source of unclassified-access).
# --------------------------------------------------------------------------------------------
UNCLASSIFIED = {
    "bedrock:CallWithBearerToken":
        "authorises any Bedrock API call made with a Bedrock API key; the capability is that of "
        "the call, which the action does not name",
    "bedrock-mantle:CallWithBearerToken":
        "same as bedrock:CallWithBearerToken, for Bedrock Mantle API keys",
    "aws-external-anthropic:CallWithBearerToken":
        "same as bedrock:CallWithBearerToken, for Claude Platform API keys",
    "cloudwatch:CallWithBearerToken":
        "authorises any CloudWatch API call made with a bearer token; capability depends on the call",
    "logs:CallWithBearerToken":
        "authorises any CloudWatch Logs API call made with a bearer token; capability depends on "
        "the call",
    "sagemaker:CallWithBearerToken":
        "authorises any SageMaker API call made with a bearer token; capability depends on the call",
}

# --------------------------------------------------------------------------------------------
# Layer 3: per-action hand classifications (exact "prefix:Action"), each with its reason.
# --------------------------------------------------------------------------------------------
A, RC, U, RD, WD, DD = ADMIN, RCONF, USE, RDATA, WDATA, DDATA
ACTION_RULES = [
    # (actions, capabilities, reason)
    (["lambda:InvokeFunction", "lambda:InvokeAsync", "lambda:InvokeFunctionUrl",
      "execute-api:Invoke", "vpc-lattice-svcs:Invoke"],
     [U], "invoking code/API that runs with the resource's own identity and access control"),
    (["ssm:StartSession", "ssm:ResumeSession", "ssm:SendCommand", "ssm:StartAutomationExecution",
      "ssm-guiconnect:StartConnection", "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel", "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel", "ec2-instance-connect:SendSSHPublicKey",
      "ec2-instance-connect:SendSerialConsoleSSHPublicKey", "ec2-instance-connect:OpenTunnel",
      "ecs:ExecuteCommand", "eks:MutateViaKubernetesApi", "iot:OpenTunnel",
      "lightsail:StartGUISession", "lightsail:CreateGUISessionAccessDetails",
      "elasticmapreduce:OpenEditorInConsole", "workmail:AssumeImpersonationRole",
      "iq-permission:AssumePermissionRole", "cloudwatch:AssumeAccessProfile"],
     [U], "opens a shell/session/tunnel on the resource; access inside is the resource's own"),
    (["redshift:GetClusterCredentialsWithIAM", "redshift-serverless:GetCredentials",
      "elasticmapreduce:GetClusterSessionCredentials",
      "emr-containers:GetManagedEndpointSessionCredentials", "lakeformation:GetDataAccess",
      "bedrock-agentcore:GetWorkloadAccessToken", "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
      "bedrock-agentcore:GetWorkloadAccessTokenForUserId"],
     [U], "vends credentials to use the resource (as k9's redshift:GetClusterCredentials)"),
    (["sts:AssumeRoot", "sts:SetSourceIdentity", "sts:SetContext"],
     [U], "part of assuming a role / opening a session, like sts:AssumeRole"),
    (["sts:GetWebIdentityToken", "sts:GetDelegatedAccessToken"],
     [RD], "token issuance for the caller, as k9's sts:GetSessionToken/GetFederationToken"),
    (["eks:AccessKubernetesApi"],
     [RD], "read access to Kubernetes API objects (AWS: Read; in ReadOnlyAccess)"),
    (["s3express:CreateSession"],
     [RD], "S3 Express session credentials; AWS grants it in ReadOnlyAccess (read-only sessions); "
           "write sessions are governed by s3express:SessionMode"),
    (["lightsail:GetInstanceAccessDetails", "lightsail:GetRelationalDatabaseMasterUserPassword",
      "lightsail:DownloadDefaultKeyPair", "cognito-idp:GetTokensFromRefreshToken",
      "events:RetrieveConnectionCredentials", "route53domains:RetrieveDomainAuthCode",
      "states:RevealSecrets", "connect:AdminGetEmergencyAccessToken",
      "secretsmanager:GetRandomPassword"],
     [RD], "reads a secret/credential value (as secretsmanager:GetSecretValue)"),
    (["athena:GetSessionEndpoint", "iot:GetConnection", "iot:ListSubscriptions",
      "cognito-identity:GetId", "aidevops:DescribeSupportLevel", "backup-storage:DescribeBackupJob"],
     [RC], "configuration/metadata read despite a Write access level"),
    (["iot:Connect", "iot:Receive", "iot:Subscribe"],
     [U, RD], "MQTT connect/subscribe/receive: uses the broker and reads messages"),
    (["iot:Publish", "iot:RetainPublish"], [WD], "publishes MQTT messages"),
    (["sns:Subscribe", "sns:ConfirmSubscription"],
     [A, RD], "creates a subscription that delivers the topic's messages to an endpoint"),
    (["kms:GenerateMac", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DeriveSharedSecret",
      "payment-cryptography:EncryptData", "payment-cryptography:ReEncryptData",
      "payment-cryptography:GenerateMac", "payment-cryptography:GenerateCardValidationData",
      "payment-cryptography:GeneratePinData", "payment-cryptography:GenerateMacEmvPinChange",
      "payment-cryptography:GenerateAuthRequestCryptogram",
      "payment-cryptography:GenerateAs2805KekValidation",
      "payment-cryptography:TranslatePinData", "payment-cryptography:TranslateKeyMaterial"],
     [WD], "cryptographic use of a key that produces protected output (as kms:Encrypt/Sign)"),
    (["kms:VerifyMac", "payment-cryptography:DecryptData", "payment-cryptography:VerifyMac",
      "payment-cryptography:VerifyCardValidationData", "payment-cryptography:VerifyPinData",
      "payment-cryptography:VerifyAuthRequestCryptogram"],
     [RD], "cryptographic verification/decryption with a key (as kms:Decrypt/Verify)"),
    (["payment-cryptography:ExportKey"], [RD], "exports key material"),
    (["s3:PutObjectAnnotation", "s3:PutObjectVersionAnnotation", "s3:ReplicateObjectAnnotation",
      "s3-object-lambda:WriteGetObjectResponse", "s3:InitiateReplication"],
     [WD], "object data write (as k9's s3:PutObject/ReplicateObject)"),
    (["s3:DeleteObjectAnnotation", "s3:DeleteObjectVersionAnnotation"],
     [DD], "object data delete (as k9's s3:DeleteObjectTagging)"),
    (["s3:GetObjectAnnotation", "s3:GetObjectVersionAnnotation",
      "s3:GetObjectVersionAnnotationForReplication"], [RD], "object data read"),
    (["s3:GetDataAccess"], [RD],
     "S3 Access Grants credentials for object data (AWS: Read; in ReadOnlyAccess)"),
    (["s3:UpdateObjectEncryption"], [A, WD], "re-encrypts stored objects"),
    (["s3:BypassGovernanceRetention", "storagegateway:BypassGovernanceRetention",
      "glacier:AbortVaultLock", "glacier:CompleteVaultLock", "glacier:InitiateVaultLock",
      "backup:DeleteBackupVaultLockConfiguration"],
     [A, DD], "weakens or sets retention protection of stored data"),
    (["sqs:StartMessageMoveTask", "sqs:CancelMessageMoveTask"],
     [A], "as k9's later SQS list (commit 225e7016)"),
    (["dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"],
     [A], "resource policy (as k9's later DynamoDB list)"),
    (["dynamodb:ReadDataForReplication"], [RD], "reads table data for replication"),
    (["dynamodb:WriteDataForReplication"], [WD], "writes table data for replication"),
    (["dynamodb:ImportTable", "dynamodb:RestoreTableFromAwsBackup"],
     [A, WD], "creates a table filled with data"),
    (["es:ESHttpGet", "es:ESHttpHead", "es:ESCrossClusterGet"], [RD], "HTTP reads on a domain"),
    (["es:ESHttpPost", "es:ESHttpPut", "es:ESHttpPatch"], [WD], "HTTP writes on a domain"),
    (["es:ESHttpDelete"], [DD], "HTTP deletes on a domain"),
    (["apigateway:GET"], [RC], "API Gateway management read"),
    (["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
     [A], "API Gateway management write"),
    (["aoss:APIAccessAll", "aoss:DashboardsAccessAll"],
     [U], "data-plane access to collections; documents are governed by data access policies"),
    (["elasticfilesystem:ClientMount", "s3files:ClientMount"], [U, RD], "mounts the file system"),
    (["elasticfilesystem:ClientWrite", "s3files:ClientWrite", "elasticfilesystem:ReplicationWrite"],
     [WD], "writes to the file system"),
    (["elasticfilesystem:ClientRootAccess", "s3files:ClientRootAccess"],
     [U, WD, DD], "root access on the mounted file system"),
    (["elasticfilesystem:ReplicationRead"], [RD], "reads file-system data for replication"),
    (["glacier:InitiateJob"], [RD], "starts an archive retrieval or inventory job"),
    (["rds:CrossRegionCommunication"], [RD, WD], "as k9"),
    (["codecommit:GitPush", "codecommit:UploadArchive"], [WD], "pushes repository content"),
    (["codecommit:GitPull", "codecommit:CancelUploadArchive"], [RD], "reads repository content"),
    (["timestream:Unload", "qldb:ExportJournalToS3", "qldb:StreamJournalToKinesis",
      "dynamodb:ExportTableToPointInTime"],
     [RD], "copies stored data out of the resource"),
    (["cloudtrail-data:PutAuditEvents", "aws-marketplace:MeterUsage",
      "aws-marketplace:BatchMeterUsage"], [WD], "data ingestion"),
    (["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement",
      "redshift-data:CancelStatement", "qldb:ExecuteStatement", "qldb:SendCommand",
      "athena:RunQuery", "glue:RunStatement", "timestream:ExecuteScheduledQuery",
      "sqlworkbench:DriverExecute", "iotsitewise:ExecuteQuery", "iottwinmaker:ExecuteQuery"],
     [WD], "runs SQL/queries that can change data (as k9's rds-data:ExecuteStatement)"),
    (["redshift-data:GetStatementResult"], [RD],
     "reads query results"),
    (["secretsmanager:DeleteSecret"], [A, DD], "destroys the secret value"),
    (["secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"], [WD],
     "writes the secret value"),
    (["secretsmanager:RotateSecret", "secretsmanager:CancelRotateSecret"], [A, WD],
     "rotation changes the secret value"),
    (["secretsmanager:CreateSecret", "secretsmanager:UpdateSecret"], [A, WD],
     "creates/updates a secret and may set its value"),
    (["ssm:PutParameter", "ssm:LabelParameterVersion", "ssm:UnlabelParameterVersion"], [WD],
     "writes parameter data"),
    (["ssm:DeleteParameter", "ssm:DeleteParameters"], [DD], "deletes parameter data"),
    (["logs:DeleteLogGroup", "logs:DeleteLogStream"], [A, DD], "destroys stored log events"),
    (["logs:StartLiveTail", "logs:StartQuery", "logs:StopQuery", "logs:StopLiveTail",
      "logs:Unmask"], [RD], "reads log event data"),
    (["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [RD], "pulls image content"),
    (["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
      "ecr-public:InitiateLayerUpload", "ecr-public:UploadLayerPart",
      "ecr-public:CompleteLayerUpload", "ecr-public:PutImage", "ecr:ReplicateImage",
      "ecr:BatchImportUpstreamImage"], [WD], "pushes image content"),
    (["ecr:BatchDeleteImage", "ecr-public:BatchDeleteImage"], [DD], "deletes image content"),
    (["lambda:GetFunction", "lambda:GetLayerVersion"],
     [RC, RD], "returns configuration and a download link for the code"),
    (["lambda:UpdateFunctionCode", "lambda:CreateFunction", "lambda:PublishLayerVersion"],
     [A, WD], "replaces or uploads deployable code"),
    (["sts:DecodeAuthorizationMessage"], [WD], "as k9"),
]

# --------------------------------------------------------------------------------------------
# Layer 4: per-service name rules: (prefix, regex on the action name, capabilities, reason).
# First matching rule wins; evaluated after ACTION_RULES and before the global name rules.
# --------------------------------------------------------------------------------------------
SERVICE_RULES = [
    ("kafka-cluster", r"^(Connect)$", [U], "connects to the MSK cluster"),
    ("kafka-cluster", r"^(ReadData|Describe\w*|ListTopics?)$", None, "level rules"),
    ("kafka-cluster", r"^(WriteData\w*)$", [WD], "produces records"),
    ("kafka-cluster", r"^(DeleteTopic|DeleteGroup)$", [A, DD], "destroys a topic/consumer group"),
    ("kafka-cluster", r"^(AlterCluster\w*|AlterGroup|AlterTopic\w*|AlterTransactionalId|"
                      r"CreateTopic|AlterClusterDynamicConfiguration)$", [A], "cluster config"),
    ("neptune-db", r"^connect$", [U], "connects to the database"),
    ("neptune-db", r"^(ReadDataViaQuery|GetQueryStatus|GetGraphSummary|GetStreamRecords|"
                   r"GetMLDataProcessingJobStatus)$", [RD], "graph data reads"),
    ("neptune-db", r"^(WriteDataViaQuery)$", [WD], "graph data writes"),
    ("neptune-db", r"^(DeleteDataViaQuery|ResetDatabase)$", [DD], "graph data deletes"),
    ("neptune-graph", r"^(ReadDataViaQuery)$", [RD], "graph data reads"),
    ("neptune-graph", r"^(WriteDataViaQuery)$", [WD], "graph data writes"),
    ("neptune-graph", r"^(DeleteDataViaQuery)$", [DD], "graph data deletes"),
    ("cassandra", r"^(Select\w*)$", [RD], "CQL SELECT"),
    ("cassandra", r"^(Modify\w*)$", [WD], "CQL INSERT/UPDATE/DELETE"),
    ("cassandra", r"^(Drop\w*)$", [A, DD], "CQL DROP of keyspace/table"),
    ("cassandra", r"^(Create\w*|Alter\w*|Restore\w*|UpdatePartitioner)$", [A], "CQL DDL"),
    ("sdb", r"^(Select|GetAttributes)$", [RD], "SimpleDB item reads"),
    ("sdb", r"^(PutAttributes|BatchPutAttributes)$", [WD], "SimpleDB item writes"),
    ("sdb", r"^(DeleteAttributes|BatchDeleteAttributes)$", [DD], "SimpleDB item deletes"),
    ("sdb", r"^(DeleteDomain)$", [A, DD], "destroys a SimpleDB domain"),
    ("timestream", r"^(Select\w*|PrepareQuery)$", [RD], "time-series queries"),
    ("timestream", r"^(WriteRecords)$", [WD], "time-series writes"),
    ("dsql", r"^(DbConnect|DbConnectAdmin)$", [U], "connects to the database"),
    ("elasticache", r"^(Connect)$", [U], "connects to the cache"),
    ("memorydb", r"^(Connect)$", [U], "connects to the cluster"),
    ("finspace", r"^(ConnectKxCluster)$", [U], "connects to the cluster"),
    ("appsync", r"^(EventConnect|EventSubscribe)$", [U, RD], "connects/subscribes to events"),
    ("appsync", r"^(EventPublish)$", [WD], "publishes events"),
    ("appsync", r"^(GraphQL|SourceGraphQL)$", [U], "runs GraphQL operations against the API"),
    ("kinesis", r"^(GetRecords|GetShardIterator|SubscribeToShard)$", [RD], "stream reads"),
    ("kinesis", r"^(PutRecords?)$", [WD], "stream writes"),
    ("kinesis", r"^(DeleteStream)$", [A, DD], "destroys a stream and its records"),
    ("kinesisvideo", r"^(ConnectAs\w+|JoinStorageSession\w*)$", [U], "joins a media session"),
    ("kinesisvideo", r"^(Get(Media|MediaForFragmentList|Clip|DASHStreamingSessionURL|"
                     r"HLSStreamingSessionURL|Images|ListFragments)|ListFragments)$", [RD],
     "media reads"),
    ("kinesisvideo", r"^(PutMedia)$", [WD], "media writes"),
    ("firehose", r"^(PutRecord|PutRecordBatch)$", [WD], "delivery-stream writes"),
    ("glacier", r"^(GetJobOutput)$", [RD], "archive retrieval output"),
    ("glacier", r"^(UploadArchive|UploadMultipartPart|InitiateMultipartUpload|"
                r"CompleteMultipartUpload|AbortMultipartUpload)$", [WD], "archive uploads"),
    ("glacier", r"^(DeleteArchive)$", [DD], "archive deletes"),
    ("glacier", r"^(DeleteVault)$", [A, DD], "destroys a vault"),
    ("ebs", r"^(GetSnapshotBlock|ListChangedBlocks|ListSnapshotBlocks)$", [RD], "snapshot data reads"),
    ("ebs", r"^(PutSnapshotBlock|StartSnapshot|CompleteSnapshot)$", [WD], "snapshot data writes"),
    ("backup-storage", r"^(Get\w*|List\w*|Describe\w*|MountCapsule)$", [RD], "backup data reads"),
    ("backup-storage", r"^(Put\w*|CommitBackupJob|NotifyObjectComplete|StartObject|"
                       r"UpdateObjectComplete)$", [WD], "backup data writes"),
    ("backup-storage", r"^(Delete\w*)$", [DD], "backup data deletes"),
    ("healthlake", r"^(ReadResource|VersionReadResource|SearchWithGet|SearchWithPost|"
                   r"SearchEverything|GetCapabilities|GenerateDocument\w*|ExportResource)$",
     [RD], "FHIR data reads"),
    ("healthlake", r"^(CreateResource|UpdateResource|PatchResource|ProcessBundle|"
                   r"ImportResource|MemberAdd|MemberRemove|TransformData)$", [WD],
     "FHIR data writes"),
    ("healthlake", r"^(DeleteResource)$", [DD], "FHIR data deletes"),
    ("medical-imaging", r"^(GetImageFrame|GetDICOM\w*|GetImageSetMetadata|SearchDICOM\w*|"
                        r"GetImageSet)$", [RD], "image data reads"),
    ("medical-imaging", r"^(StoreDICOM\w*|UpdateImageSetMetadata|CopyImageSet|"
                        r"StartDICOMImportJob)$", [WD], "image data writes"),
    ("medical-imaging", r"^(DeleteImageSet)$", [DD], "image data deletes"),
    ("codecommit", r"^(Get(Blob|File|Folder|Commit|Differences|MergeCommit|MergeConflicts|"
                   r"MergeOptions|CommentsForComparedCommit|CommentsForPullRequest|Comment|"
                   r"CommentReactions|ObjectIdentifier|Tree|UploadArchiveStatus|References)|"
                   r"BatchGetCommits|BatchDescribeMergeConflicts|DescribeMergeConflicts|"
                   r"EvaluatePullRequestApprovalRules)$", [RD], "repository content reads"),
    ("codecommit", r"^(CreateCommit|PutFile|Merge\w+|CreateUnreferencedMergeCommit|"
                   r"PostComment\w*|UpdateComment|PutCommentReaction|CreateBranch|"
                   r"UpdateDefaultBranch)$", [WD], "repository content writes"),
    ("codecommit", r"^(DeleteFile|DeleteBranch|DeleteCommentContent)$", [DD],
     "repository content deletes"),
    ("codeartifact", r"^(ReadFromRepository|GetPackageVersionAsset|GetPackageVersionReadme)$",
     [RD], "package content reads"),
    ("codeartifact", r"^(PublishPackageVersion|PutPackageMetadata|CopyPackageVersions|"
                     r"UpdatePackageVersionsStatus)$", [WD], "package content writes"),
    ("codeartifact", r"^(DeletePackageVersions|DisposePackageVersions|DeletePackage)$", [DD],
     "package content deletes"),
    ("logs", r"^(GetLog\w*|FilterLogEvents|GetQueryResults|GetLogRecord|GetLogObject|"
             r"GetLogFields)$", [RD], "log data reads"),
    ("logs", r"^(PutLogEvents|CreateLogStream|Link|PutSystemLogEvents)$", [WD], "log data writes"),
    ("cloudwatch", r"^(GetMetricData|GetMetricStatistics|GetMetricWidgetImage|GetMetricStream|"
                   r"QueryTraces)$", [RD], "metric/trace data reads"),
    ("cloudwatch", r"^(PutMetricData)$", [WD], "metric data writes"),
    ("xray", r"^(BatchGetTraces|GetTrace\w*|GetServiceGraph|GetTimeSeriesServiceStatistics|"
             r"GetInsight\w*|GetRetrievedTraces\w*|ListRetrievedTraces|StartTraceRetrieval|"
             r"CancelTraceRetrieval|BatchGetTraceSummaryById|GetIndexingRules|ListTraces?\w*)$",
     [RD], "trace data reads"),
    ("xray", r"^(Put(TraceSegments|TelemetryRecords|Spans\w*))$", [WD], "trace data writes"),
    ("ssm", r"^(GetParameters?|GetParametersByPath|GetParameterHistory)$", [RD],
     "parameter value reads"),
    ("ssm", r"^(GetCommandInvocation|ListCommandInvocations)$", [RD], "command output reads"),
    ("ssm", r"^(PutInventory|PutComplianceItems|PutConfigurePackageResult)$", [WD],
     "inventory/compliance data writes"),
    ("secretsmanager", r"^(GetSecretValue|BatchGetSecretValue)$", [RD], "secret value reads"),
    ("sqs", r"^(ListMessageMoveTasks)$", [RC], "as k9's later SQS list"),
    ("sns", r"^(Publish|PublishBatch)$", [WD], "publishes messages"),
    ("ses", r"^(Send\w*)$", [WD], "sends email"),
    ("sms-voice", r"^(Send\w*Message|SendMediaMessage)$", [WD], "sends messages"),
    ("mobiletargeting", r"^(Send\w*Messages?|PutEvents)$", [WD], "sends messages"),
    ("states", r"^(StartExecution|StartSyncExecution|SendTask\w+|RedriveExecution)$", [WD],
     "runs state machines with input data"),
    ("states", r"^(GetExecutionHistory|DescribeExecution)$", [RC, RD], "execution input/output"),
    ("athena", r"^(GetQueryRuntimeStatistics|GetCalculationExecutionCode|"
               r"GetCalculationExecution|GetSessionStatus)$", [RC], "query metadata"),
    ("athena", r"^(StartCalculationExecution|StartSession|ImportNotebook|UpdateNotebook)$", [WD],
     "runs notebook calculations"),
    ("athena", r"^(ExportNotebook|GetNotebookMetadata)$", [RD], "notebook content"),
    ("rds", r"^(Download\w*)$", [RD], "log file reads"),
    ("rds-data", r"^.*$", [WD], "Data API statements can read and write (as k9)"),
    ("redshift", r"^(GetClusterCredentials\w*)$", [U], "as k9's redshift:GetClusterCredentials"),
    ("redshift", r"^(FetchResults)$", [RD], "as k9"),
    ("dynamodb", r"^(SearchVectors|GetRecords|GetShardIterator)$", [RD], "item/stream reads"),
    ("dax", r"^(DeleteItem)$", [DD], "as k9"),
    ("s3vectors", r"^(GetVectors|QueryVectors|ListVectors)$", [RD], "vector data reads"),
    ("s3vectors", r"^(PutVectors)$", [WD], "vector data writes"),
    ("s3vectors", r"^(DeleteVectors)$", [DD], "vector data deletes"),
    ("s3vectors", r"^(DeleteIndex|DeleteVectorBucket)$", [A, DD], "destroys vector stores"),
    ("s3tables", r"^(GetTableData)$", [RD], "table data reads"),
    ("s3tables", r"^(PutTableData)$", [WD], "table data writes"),
    ("s3tables", r"^(DeleteTable|DeleteTableBucket)$", [A, DD], "destroys tables"),
    ("s3-object-lambda", r"^(GetObject\w*|ListBucket\w*|ListMultipartUploadParts)$", None,
     "falls through to the S3-style object rules"),
    ("lakeformation", r"^(GetTemporaryGlue\w*Credentials)$", [U], "vends data credentials"),
    ("lakeformation", r"^(GetWorkUnitResults|GetQueryState|GetWorkUnits|StartQueryPlanning)$",
     [RD], "governed-table query results"),
    ("bedrock", r"^(Retrieve|RetrieveAndGenerate\w*|AgenticRetrieveStream)$", [U, RD],
     "queries a knowledge base through a model"),
    ("bedrock", r"^(Rerank|ApplyGuardrail|CountTokens|OptimizePrompt|RenderPrompt|"
                r"GenerateQuery|InvokeGuardrailChecks)$", [U], "uses a model"),
    ("bedrock", r"^(IngestKnowledgeBaseDocuments)$", [WD], "writes knowledge-base documents"),
    ("bedrock", r"^(DeleteKnowledgeBaseDocuments)$", [DD], "deletes knowledge-base documents"),
    ("kendra", r"^(Query|Retrieve)$", [RD], "searches indexed documents"),
    ("kendra", r"^(BatchPutDocument)$", [WD], "indexes documents"),
    ("kendra", r"^(BatchDeleteDocument)$", [DD], "removes indexed documents"),
    ("qbusiness", r"^(Chat|ChatSync|SearchRelevantContent)$", [U, RD], "queries indexed content"),
    ("qbusiness", r"^(BatchPutDocument)$", [WD], "indexes documents"),
    ("qbusiness", r"^(BatchDeleteDocument)$", [DD], "removes indexed documents"),
    ("sagemaker", r"^(InvokeEndpoint\w*)$", [U], "invokes a model endpoint"),
    ("sagemaker", r"^(GetRecord|BatchGetRecord)$", [RD], "feature-store reads"),
    ("sagemaker", r"^(PutRecord|BatchWriteRecord)$", [WD], "feature-store writes"),
    ("sagemaker", r"^(DeleteRecord)$", [DD], "feature-store deletes"),
    ("sagemaker", r"^(CreatePresigned\w*Url|CreatePartnerAppPresignedUrl|StartSession|"
                  r"CallMlflowAppApi|CallPartnerAppApi)$", [U], "opens a session on the resource"),
    ("iotsitewise", r"^(GetAssetPropertyValue\w*|GetAssetPropertyAggregates|"
                    r"BatchGetAssetProperty\w*|GetInterpolatedAssetPropertyValues)$", [RD],
     "telemetry reads"),
    ("iotsitewise", r"^(BatchPutAssetPropertyValue)$", [WD], "telemetry writes"),
    ("iotsitewise", r"^(DeleteTimeSeries)$", [A, DD], "destroys a time series and its values"),
    ("iotanalytics", r"^(BatchPutMessage)$", [WD], "message ingestion"),
    ("iotanalytics", r"^(SampleChannelData|GetDatasetContent)$", [RD], "data reads"),
    ("iotevents", r"^(BatchPutMessage)$", [WD], "message ingestion"),
    ("iotwireless", r"^(SendDataTo\w+)$", [WD], "downlink data"),
    ("iot", r"^(GetThingShadow|GetRetainedMessage|ListRetainedMessages)$", [RD],
     "device shadow / retained message reads"),
    ("iot", r"^(UpdateThingShadow)$", [WD], "device shadow writes"),
    ("iot", r"^(DeleteThingShadow)$", [DD], "device shadow deletes"),
    ("iotjobsdata", r"^(DescribeJobExecution|GetPendingJobExecutions)$", [RC], "job metadata"),
    ("workdocs", r"^(DownloadDocumentVersion|GetDocumentVersion|GetDocument|GetDocumentPath)$",
     [RD], "document content reads"),
    ("workdocs", r"^(InitiateDocumentVersionUpload|UpdateDocumentVersion|RestoreDocumentVersions)$",
     [WD], "document content writes"),
    ("workdocs", r"^(DeleteDocument\w*|DeleteFolder\w*)$", [DD], "document deletes"),
    ("workmailmessageflow", r"^(GetRawMessageContent)$", [RD], "mail content reads"),
    ("workmailmessageflow", r"^(PutRawMessageContent)$", [WD], "mail content writes"),
    ("chime", r"^(SendChannelMessage|UpdateChannelMessage)$", [WD], "message writes"),
    ("chime", r"^(GetChannelMessage|ListChannelMessages|GetMessagingSessionEndpoint)$", [RD],
     "message reads"),
    ("chime", r"^(DeleteChannelMessage|Redact\w*Message)$", [DD], "message deletes"),
    ("connect", r"^(GetContactAttributes|GetTranscript|GetAttachedFile|ListRealtimeContact\w*|"
                r"GetCurrentMetricData|GetMetricData\w*)$", [RD], "contact data reads"),
    ("support", r"^(DownloadAttachment|DescribeAttachment|DescribeCommunications?)$", [RD],
     "case data reads"),
    ("support", r"^(AddAttachmentsToSet|AddCommunicationToCase|UploadAttachment)$", [WD],
     "case data writes"),
    ("profile", r"^(SearchProfiles|BatchGetProfile|BatchGetCalculatedAttributeForProfile|"
                r"GetCalculatedAttributeForProfile|ListProfileObjects)$", [RD],
     "customer profile data reads"),
    ("profile", r"^(PutProfileObject|CreateProfile|UpdateProfile|MergeProfiles|"
                r"AddProfileKey)$", [WD], "customer profile data writes"),
    ("profile", r"^(DeleteProfile\w*)$", [DD], "customer profile data deletes"),
    ("personalize", r"^(Put(Events|Items|Users|Actions|ActionInteractions))$", [WD],
     "interaction data ingestion"),
    ("personalize", r"^(GetRecommendations|GetPersonalizedRanking|GetActionRecommendations)$",
     [RD], "reads recommendations from a campaign (AWS: Read; in ReadOnlyAccess)"),
    ("honeycode", r"^(QueryTableRows|ListTableRows|GetScreenData)$", [RD], "row reads"),
    ("honeycode", r"^(BatchCreateTableRows|BatchUpdateTableRows|BatchUpsertTableRows)$", [WD],
     "row writes"),
    ("honeycode", r"^(BatchDeleteTableRows)$", [DD], "row deletes"),
    ("cloudsearch", r"^(search|suggest)$", [RD], "searches documents"),
    ("cloudsearch", r"^(document)$", [WD, DD], "uploads/deletes documents"),
    ("geo", r"^(GetDevicePosition\w*|BatchGetDevicePosition|ListDevicePositions)$", [RD],
     "tracker data reads"),
    ("geo", r"^(BatchUpdateDevicePosition|BatchPutGeofence|PutGeofence)$", [WD], "tracker writes"),
    ("geo", r"^(BatchDeleteDevicePositionHistory|BatchDeleteGeofence)$", [DD], "tracker deletes"),
    ("cleanrooms", r"^(StartProtectedQuery|StartProtectedJob)$", [WD], "runs collaboration queries"),
    ("cleanrooms", r"^(GetProtectedQuery|GetProtectedJob)$", [RD], "reads query results"),
    ("dataexchange", r"^(SendApiAsset)$", [U], "calls a subscribed API product"),
    ("omics", r"^(GetReadSet|GetReference|GetReadSetMetadata|GetReferenceMetadata)$", [RD],
     "genomic data reads"),
    ("omics", r"^(UploadReadSetPart|CreateMultipartReadSetUpload|CompleteMultipartReadSetUpload)$",
     [WD], "genomic data writes"),
    ("omics", r"^(BatchDeleteReadSet|DeleteReference)$", [DD], "genomic data deletes"),
    ("transfer", r"^(StartFileTransfer|StartRemoteDelete|StartRemoteMove)$", [WD, DD],
     "moves/deletes files on a remote server"),
    ("transfer", r"^(StartDirectoryListing)$", [RD], "lists remote files"),
    ("storagegateway", r"^(RetrieveTape\w+)$", [RD], "tape data retrieval"),
    ("storagegateway", r"^(DeleteTape|DeleteTapeArchive|DeleteVolume|DeleteFileShare)$", [A, DD],
     "destroys stored data"),
    ("fsx", r"^(DeleteFileSystem|DeleteVolume|DeleteBackup|DeleteSnapshot|DeleteStorageVirtualMachine)$",
     [A, DD], "destroys stored data"),
    ("ec2", r"^(GetConsoleOutput|GetConsoleScreenshot|GetPasswordData|GetLaunchTemplateData)$",
     [RD], "instance data reads (console output, Windows password, user data)"),
    ("ec2", r"^(DescribeInstanceAttribute)$", [RC, RD], "may return user data"),
    ("ec2", r"^(DeleteVolume|DeleteSnapshot|DeleteFpgaImage)$", [A, DD], "destroys stored data"),
    ("ec2", r"^(CreateSnapshots?|CopySnapshot|CreateImage|CopyImage|CreateStoreImageTask|"
            r"CreateRestoreImageTask|ExportImage|CreateInstanceExportTask)$", [A, RD],
     "copies volume data into a new resource"),
    ("ec2", r"^(ModifySnapshotAttribute|ModifyImageAttribute)$", [A],
     "can share snapshot/image data with other accounts"),
    ("ec2", r"^(GetSerialConsoleAccessStatus)$", [RC], "configuration read"),
    ("ec2", r"^(SendDiagnosticInterrupt|SendSpotInstanceInterruptions)$", [A],
     "disrupts instances"),
    ("ec2messages", r"^(GetMessages|GetEndpoint)$", [RD], "agent message reads"),
    ("elastictranscoder", r"^(Read\w*)$", [RC], "reads job/pipeline/preset configuration"),
    ("config", r"^(Select\w*ResourceConfig|BatchGet\w*ResourceConfig)$", [RC],
     "queries recorded resource configuration"),
    ("aps", r"^(QueryMetrics|GetSeries|GetLabels|GetMetricMetadata)$", [RD], "metric data reads"),
    ("aps", r"^(RemoteWrite)$", [WD], "metric data writes"),
    ("forecast", r"^(Query\w*)$", [RD], "forecast data reads"),
    ("chime", r"^(DeleteChannel)$", [A, DD], "destroys a channel and its messages"),
    ("iotanalytics", r"^(DeleteChannel|DeleteDatastore|DeleteDataset)$", [A, DD],
     "destroys stored messages"),
    ("redshift-serverless", r"^(DeleteNamespace)$", [A, DD], "destroys the databases"),
    ("s3tables", r"^(DeleteNamespace)$", [A, DD], "destroys tables"),
    ("ssm", r"^(GetDocument|DescribeDocument\w*)$", [RC], "SSM documents are configuration"),
    ("ssm", r"^(CreateDocument|UpdateDocument\w*|DeleteDocument)$", [A],
     "SSM documents are automation configuration"),
    ("sagemaker", r"^(Sample|SampleWithResponseStream)$", [U], "invokes a model"),
    ("cognito-idp", r"^(InitiateAuth|AdminInitiateAuth|RespondToAuthChallenge|"
                    r"AdminRespondToAuthChallenge)$", [U], "authenticates to the user pool"),
    ("opensearch", r"^(GetDirectQueryResult)$", [RD], "query results"),
    ("iam", r"^(SendDelegationToken)$", [A], "IAM delegation"),
    ("cognito-sync", r"^(ListRecords|QueryRecords)$", [RD], "dataset record reads"),
    ("cognito-sync", r"^(UpdateRecords|BulkPublish)$", [WD], "dataset record writes"),
    ("ec2messages", r"^(SendReply|AcknowledgeMessage|FailMessage|DeleteMessage)$", [WD],
     "agent message writes"),
]

# Services whose cluster/domain/instance/server is itself a data store: destroying one deletes data.
DATA_STORE_SERVICES = [
    "cloudhsm", "cloudsearch", "codeartifact", "docdb-elastic", "dsql", "elasticache", "es",
    "finspace", "kafka", "lightsail", "memorydb", "neptune-graph", "odb", "qldb",
    "rds", "redshift", "redshift-serverless", "sdb", "timestream-influxdb",
]
for _p in DATA_STORE_SERVICES:
    SERVICE_RULES.append((
        _p, r"^(Delete|Terminate)\w*(Cluster|ClusterV2|Domain|Instance|Server|Graph|Ledger|"
            r"Database|Datastore|DbInstance|DbCluster|RelationalDatabase|Disk|KxDatabase|"
            r"KxVolume|Workgroup)$",
        [A, DD], "destroys a data store (DATA_STORE_SERVICES)"))

# S3-family prefixes whose actions mirror s3 actions of the same name: they take the
# capabilities of the s3 action when k9 (or seed 000) maps it.
S3_FAMILY = ["s3-object-lambda", "s3-outposts", "s3express"]

# --------------------------------------------------------------------------------------------
# Layer 5: global name rules, applied to the action name with a leading "Batch" (and
# cognito-style "Admin") verb prefix removed. (levels, regex, capabilities, reason); first match
# wins. levels = None means any access level; RL = Read or List; W = Write, Permissions
# management or Tagging; WO = Write only.
# --------------------------------------------------------------------------------------------
RL = ("Read", "List")
W = ("Write", "Permissions management", "Tagging")
WO = ("Write",)

# Nouns of things that hold data. Deleting an item deletes data; destroying a container deletes
# data and administers (destroys) the resource.
DATA_ITEM_NOUNS = (
    r"Objects?|ObjectVersions?|Items?|Messages?|MessageBatch|Records?|Rows?|TableRows|Documents?|"
    r"DocumentVersions?|Files?|Blobs?|LogEvents|Vectors|DataPoints?|Chunks?|Parameters?|"
    r"PackageVersions?|Archives?|Recordings?|Faces|ReadSets?|ImageSets?|Images?|Entries|"
    r"DataTableValue|MemoryRecords|UniqueId|DevicePositionHistory|DatasetDataSegments|Data"
)
DATA_CONTAINER_NOUNS = (
    r"(?<!Route)(?<!Policy)Tables?|Buckets?|(?<!Metric)(?<!Event)(?<!ProgressUpdate)Streams?|"
    r"LogGroup|LogStream|Volumes?|Snapshots?|Backups?|RecoveryPoints?|FileSystems?|Databases?|"
    r"(?<!Code)Repository|Repositories|Datasets?|DataSets?|(?<!Place)(?<!Partition)Indexe?s?|"
    r"(?<!Cidr)Collections?|Vaults?|Ledger|Keyspace|Graph|Journal|EventDataStore|Datastore|"
    r"DataStore|VectorStore|KnowledgeBases?|Trail|Mailbox|ServerlessCache|CacheCluster|"
    r"ReplicationGroup|Capsule|Tape|TapeArchive|FileShare|Workspaces|Corpus|Ontology"
)

NAME_RULES = [
    # -- always-on semantics, any level --------------------------------------------------------
    (None, r"^(Invoke|Converse|InvokeModel)\w*$", [U],
     "invokes code/models/APIs of the resource (lambda:InvokeFunction style)"),
    (None, r"^(Assume)\w*$", [U], "assumes a role/identity (sts:AssumeRole style)"),
    (None, r"^(Connect|DbConnect|connect)(As\w+|Admin|Microvm|BrowserAutomationStream|"
           r"BrowserLiveViewStream)?$", [U], "connects to the resource"),
    (None, r"^(Use)[A-Z]\w*$", [U], "uses a connection/plugin/session on the caller's behalf"),
    (None, r"^(StartSession|StartStreamingSession|CreateStreamingURL|Create\w*StreamingURL|"
           r"Create\w*PresignedU[Rr][Ll]|CreatePresigned\w*|Get\w*PresignedU[Rr][Ll]|"
           r"GenerateEmbedUrl\w*|Get\w*EmbedUrl|CreateEnvironmentToken|CreateConnectionToken|"
           r"CreateOneTimeLoginSession|Create\w*LoginToken|CreateCliToken|OpenTunnel|"
           r"Create\w*AdminShell|Create\w*ShellAuthToken|Create\w*AuthToken|"
           r"CreateStreamSessionConnection|CreateStreamUrl|CreateRemoteAccessSession|"
           r"CreateTestGridUrl|CreateAdminSession|SsoLogin)$", [U],
     "opens an interactive/console/session on the resource"),
    (None, r"^(Pass)[A-Z]\w*$", [A], "passes a role/connection to a service (iam:PassRole style)"),
    # -- Read / List ---------------------------------------------------------------------------
    (RL, r"^(Get|Download|Retrieve|Fetch|Read|Select|Receive|Harvest)\w*("
         r"Objects?|ObjectVersion|Items?|Records?|Rows?|Blob|Files?|Folder|Commit|Contents?|"
         r"Media|Clip|Chunks?|SecretValue|Passwords?|PasswordData|Credentials\w*|"
         r"(?<!Change)Token|AuthCode|QueryResults?\w*|SearchResults|LogEvents|Log|"
         r"MetricData|MetricStatistics|Traces?|TraceSummaries|Vectors|Messages?|Screenshot|"
         r"Data|(?<!Job)Documents?|DocumentVersion|Transcript|Recordings?|ImageFrame|"
         r"DownloadU[Rr][Ll]s?|"
         r"ArtifactUrl|Evidence|Dump|Body|Payload)$", [RD],
     "content reads (Get*Object/Item/Record/File/Secret/Credentials/Token/QueryResults/...)"),
    (RL, r"^(Download|Export|Select|Receive|Fetch|Harvest|Retrieve|Read|Reveal|Unmask|"
         r"PartiQLSelect|GitPull)\w*$", [RD],
     "verbs that read stored content (Download/Export/Select/Receive/Retrieve/Read...)"),
    (RL, r"^(Detect|Analyze|Recognize|Translate|Synthesize|Classify|Compare|Contains|Infer|"
         r"Transcribe|Predict|Forecast|Geocode|ReverseGeocode|Calculate|Optimize|SnapToRoads|"
         r"Suggest|Autocomplete|Search(Nearby|Text)|Rescore|Match|Chat|Render)\w*$", [RD],
     "stateless analysis/compute that returns derived data (AWS: Read)"),
    (RL, r".*", [RC], "default for Read/List: configuration and metadata"),
    # -- Write-level actions that only read ----------------------------------------------------
    (W, r"^(Download|Retrieve|Receive|Decrypt|Export|Unload|Harvest|Fetch|Poll)\w*$", [RD],
     "copies stored content out / picks up work items (AWS: Write, e.g. export tasks)"),
    (W, r"^(Get|BatchGet)\w*(Credentials|Token|Password|AccessDetails|SecretValue|Media|Chunk|"
        r"Object\w*|Task)$", [RD], "credential/secret/content reads"),
    (W, r"^Get\w*(DownloadU[Rr][Ll]s?)$", [RD], "download URL"),
    (W, r"^Get\w*(UploadU[Rr][Ll]s?)$", [WD], "upload URL"),
    (W, r"^(Get|Describe|List|Search|View|Check|Validate|Is|Count|Estimate|Preview|Test|Verify|"
        r"Introspect|Evaluate|Discover|Show|Simulate)[A-Z]\w*$", [RC],
     "metadata reads/validations despite a Write/Permissions level"),
    # -- deletes ---------------------------------------------------------------------------------
    (WO, r"^(Delete|Remove|Purge|Drop|Erase|Wipe|Clear|Discard|Dispose|Expire|Evict|Redact|"
         r"PartiQLDelete|PartiQLRedact)\w*?(" + DATA_ITEM_NOUNS + r")$", [DD],
     "deletes data items (objects, items, messages, records, files, parameters...)"),
    (WO, r"^(Delete|Drop|Purge|Wipe|PartiQLDrop|Terminate)\w*?(" + DATA_CONTAINER_NOUNS + r")$",
     [A, DD], "destroys a data-bearing resource (table, bucket, queue, stream, volume, snapshot...)"),
    (WO, r"^(Purge|Wipe|Erase)\w*$", [DD], "purges stored data"),
    (WO, r"^(Import|Upload)\w*(Certificate\w*|Key|KeyPair|PublicKey|SshPublicKey|HostKey|Crl|"
         r"Credentials|Metadata|Policy|Cidr\w*|RevocationList|Domains|Branding|Lens|Catalog|"
         r"Component|Terminology|App|Configuration|Manifest|Requirements|Auth|Storage|StackSet|"
         r"Glue|AsProvisionedProduct|MigrationTask)$", [A],
     "imports keys, certificates, policies or configuration: a security control/config change"),
    (WO, r"^(Import)\w*(Image|Snapshot|Volume|Instance|Dataset|Table|Notebook|Document|Model|"
         r"ModelVersion|Artifact|Data\w*)$", [A, WD],
     "creates a resource filled with imported data"),
    # -- data writes -----------------------------------------------------------------------------
    (WO, r"^(Put|Update|Upsert|Create|Insert|Append|Write|Store|Persist|Ingest|Index|Import|Upload|"
        r"Send|Post|Push|Publish|Replicate|Restore|Copy|Modify|Add|Set|Record|Log|Submit|Initiate|"
        r"Complete|Abort|Change)\w*?("
        r"Objects?|ObjectVersion|Items?|Records?|RecordBatch|Rows?|TableRows|Events|PartnerEvents|"
        r"LogEvents|LogData|MetricData|Metrics|Data|Spans|TraceSegments|TelemetryRecords|Media|"
        r"Vectors|SecretValue|Chunks?|Files?|Commit|Messages?|MessageBatch|Documents?|"
        r"DocumentVersion\w*|Evaluations?|Findings?|Feedback|Facts?|Values?|PropertyValues?|"
        r"DataPoints?|Interactions|Comments?|CommentReply|MultipartUpload|MultipartPart|"
        r"LayerPart|LayerUpload|Upload|Uploads|UploadUrls?|Param|Inputs|Outputs|Faces|"
        r"Transcript|Heartbeat|Marker|Telemetry|TelemetryEvent|Email|RawEmail|BulkEmail|"
        r"TemplatedEmail|BulkTemplatedEmail|Bounce|ChatMessage|ChannelMessage|ConversationMessage|"
        r"Fragment|Evidence\w*"
        r")$", [WD],
     "writes data items into the resource (records, events, messages, files, metrics...)"),
    (WO, r"^(Insert|Append|Write|Store|Ingest|Upload|Send|Post|Encrypt|"
         r"ReEncrypt|GenerateDataKey|PartiQLInsert|PartiQLUpdate|Execute(Statement|Sql|Query)|"
         r"BeginTransaction|CommitTransaction|RollbackTransaction|Notify|Report|Meter|"
         r"Remote[A-Z]|Log[A-Z]|Record[A-Z]|Label|Unlabel|Mark|Rate|Vote|Respond|"
         r"Acknowledge|Signal|Process|Transform|Populate|Load)\w*$|"
         r"^(Sign|SignPayload|Publish|PublishBatch|PublishMetrics|PublishDataQuality)$", [WD],
     "data-plane verbs: send/publish/upload/import/ingest/encrypt/execute..."),
    (WO, r"^(Start|Run)\w*(Query|QueryExecution|Statement|Calculation)$", [WD],
     "runs queries against stored data (as k9's athena:StartQueryExecution)"),
    (WO, r"^(Restore)\w*(Snapshot|Backup|RecoveryPoint|Archive|FromS3|Vault)\w*$", [A, RD],
     "restores stored data into a new resource (as k9's rds:RestoreDBInstanceFromDBSnapshot)"),
    (WO, r"^(Create|Copy|Start)\w*(Snapshot|Backup|BackupJob|Export|ExportJob|ExportTask|"
         r"RestoreJob|CopyJob|BackupVault|BackupToRegion|Volumes)$",
     [A, RD], "copies stored data into a snapshot/backup/export"),
    # -- everything else at Write/Permissions/Tagging ---------------------------------------------
    (("Permissions management",), r".*", [A], "default: permissions management administers"),
    (("Tagging",), r".*", [A], "default: tags drive ABAC and cost controls"),
    (("Write",), r".*", [A], "default: resource lifecycle and configuration"),
]

# --------------------------------------------------------------------------------------------
# Service names (services.tsv)
# --------------------------------------------------------------------------------------------
K9_SERVICE_NAMES = {
    "athena": "Athena", "cloudtrail": "CloudTrail", "dynamodb": "DynamoDB",
    "dax": "DynamoDB Accelerator (DAX)", "dynamodbstreams": "DynamoDB Streams", "iam": "IAM",
    "kms": "KMS", "rds": "RDS", "rds-data": "RDS Data", "rds-db": "RDS DB",
    "redshift": "Redshift", "s3": "S3", "sqs": "SQS", "sts": "STS",
}
# Catalogue service names that are wrong or misleading for the prefix.
SERVICE_NAME_OVERRIDES = {
    "cloudformation": "CloudFormation",  # catalogue says "AWS Cloud Control API"
    "ses": "SES",                        # catalogue says "Amazon Pinpoint Email Service"
    "mediaimport": "MediaImport",        # catalogue says "AmazonMediaImport"
    "odb": "Oracle Database@AWS",        # catalogue says "AWS Service - Oracle Database@AWS"
    "private-networks": "Private 5G",    # catalogue says "AWS service providing managed ..."
}


def short_service_name(prefix, catalogue_name):
    if prefix in K9_SERVICE_NAMES:
        return K9_SERVICE_NAMES[prefix]
    if prefix in SERVICE_NAME_OVERRIDES:
        return SERVICE_NAME_OVERRIDES[prefix]
    name = catalogue_name.strip()
    m = re.search(r"\(([A-Z][A-Z0-9]+)\)", name)
    if m:
        return m.group(1)
    name = re.sub(r"\s*\([^)]*\)", "", name).strip()
    for lead in ("Amazon ", "AWS "):
        if name.startswith(lead):
            name = name[len(lead):]
            break
    return name or prefix


# --------------------------------------------------------------------------------------------
# Classification engine
# --------------------------------------------------------------------------------------------
def load_k9(path, catalogue_index):
    """Returns ({action: set(caps)}, [missing entries])."""
    with open(path, encoding="utf-8") as f:
        k9 = json.load(f)
    caps = collections.defaultdict(set)
    missing = []
    sources = []
    for service in sorted(k9):
        for cap in sorted(k9[service]):
            if cap not in CAPABILITIES:
                raise SystemExit(f"k9 list {service}/{cap}: unknown capability")
            for entry in k9[service][cap]:
                sources.append((entry, cap, f"k9 {service}"))
    for cap, entries in SEED_000_S3.items():
        for entry in entries:
            sources.append((entry, cap, "seed 000 S3"))
    for entry in STS_ASSUME:
        sources.append((entry, USE, "k9 STS"))
    for entry, cap, origin in sources:
        canon = catalogue_index.get(entry.lower())
        if canon is None:
            missing.append(f"{entry} ({origin}, {cap})")
            continue
        caps[canon].add(cap)
    for entry, fixed in K9_CORRECTIONS.items():
        canon = catalogue_index.get(entry.lower())
        if canon is not None:
            caps[canon] = set(fixed)
    return caps, sorted(set(missing))


def compile_rules():
    action_rules = {}
    for actions, caps, reason in ACTION_RULES:
        for a in actions:
            if a in action_rules:
                raise SystemExit(f"ACTION_RULES: {a} listed twice")
            action_rules[a] = (list(caps), reason)
    service_rules = collections.defaultdict(list)
    for i, (prefix, rx, caps, reason) in enumerate(SERVICE_RULES):
        service_rules[prefix].append((i, re.compile(rx), caps, reason))
    name_rules = [(i, levels, re.compile(rx), caps, reason)
                  for i, (levels, rx, caps, reason) in enumerate(NAME_RULES)]
    return action_rules, service_rules, name_rules


def strip_verb_prefix(name):
    """BatchGetItem -> GetItem; AdminDeleteUser -> DeleteUser (cognito-style)."""
    for p in ("Batch", "Admin"):
        if name.startswith(p) and len(name) > len(p) and name[len(p)].isupper():
            return name[len(p):]
    return name


def classify(prefix, name, level, k9caps, rules):
    """Returns (caps, rule_id)."""
    action_rules, service_rules, name_rules = rules
    full = f"{prefix}:{name}"
    if full in k9caps:
        return set(k9caps[full]), "k9"
    if full in UNCLASSIFIED:
        return {UNCL}, "unclassified"
    if full in action_rules:
        return set(action_rules[full][0]), "action"
    if prefix in S3_FAMILY and f"s3:{name}" in k9caps:
        return set(k9caps[f"s3:{name}"]), "s3-family"
    for i, rx, caps, _ in service_rules.get(prefix, []):
        if rx.match(name):
            if caps is None:
                break  # explicit fall-through to the global rules
            return set(caps), f"service#{i}"
    base = strip_verb_prefix(name)
    for i, levels, rx, caps, _ in name_rules:
        if levels is not None and level not in levels:
            continue
        if rx.match(base):
            return set(caps), f"name#{i}"
    raise AssertionError(f"no rule for {full} ({level})")


# --------------------------------------------------------------------------------------------
# Managed-policy check (ReadOnlyAccess)
# --------------------------------------------------------------------------------------------
def as_list(x):
    if x is None:
        return []
    return [x] if isinstance(x, (str, dict)) else list(x)


def glob_to_regex(patterns):
    """One case-insensitive regex matching any of the IAM wildcard patterns (* and ?)."""
    alts = []
    for pattern in patterns:
        alts.append("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
                            for ch in pattern))
    return re.compile("^(?:" + "|".join(alts) + ")$", re.IGNORECASE | re.DOTALL)


def policy_allowed_actions(document, all_actions):
    """Actions matched by the Allow statements (Action or NotAction) of a policy document."""
    allowed = set()
    for st in as_list(document.get("Statement")):
        if st.get("Effect") != "Allow":
            continue
        if "Action" in st:
            rx = glob_to_regex(as_list(st["Action"]))
            allowed.update(a for a in all_actions if rx.match(a))
        if "NotAction" in st:
            rx = glob_to_regex(as_list(st["NotAction"]))
            allowed.update(a for a in all_actions if not rx.match(a))
    return allowed


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------
def write_tsv(path, header, rows):
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell or "\r" in cell:
                raise SystemExit(f"{path}: cell contains a tab/newline: {cell!r}")
    text = "\t".join(header) + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalogue", default=os.path.join(repo, "..", "shared", "data",
                                                        "iam-actions.json"))
    ap.add_argument("--policies", default=os.path.join(repo, "..", "shared", "data",
                                                       "aws-managed-policies.json"))
    ap.add_argument("--k9", default=os.path.join(repo, "scripts", "k9_capabilities.json"))
    ap.add_argument("--out", default=os.path.join(repo, "src", "capability", "generated"))
    args = ap.parse_args(argv)

    with open(args.catalogue, encoding="utf-8") as f:
        catalogue = json.load(f)

    levels = {}
    resource_types = {}
    for prefix, svc in catalogue.items():
        # The catalogue spells an action's resource types in a different case from the keys of
        # the service's "resources" map in places (e.g. access-analyzer "Analyzer" vs
        # "analyzer"); actions.tsv uses the map's spelling so that it joins resource_types.tsv.
        canon = {}
        for rt in svc.get("resources") or {}:
            assert rt.lower() not in canon, f"{prefix}: resource types differ only in case: {rt}"
            canon[rt.lower()] = rt
        for name, info in svc["actions"].items():
            full = f"{prefix}:{name}"
            assert full not in levels, f"duplicate action {full}"
            levels[full] = info["access_level"]
            rts = []
            for rt in info.get("resource_types") or []:
                assert rt.lower() in canon, f"{full}: resource type {rt} not in {prefix} resources"
                rts.append(canon[rt.lower()])
            resource_types[full] = rts
    all_actions = sorted(levels)
    index = {}
    for a in all_actions:
        assert a.lower() not in index, f"actions differing only in case: {a}, {index[a.lower()]}"
        index[a.lower()] = a

    k9caps, k9_missing = load_k9(args.k9, index)
    rules = compile_rules()
    for a in list(UNCLASSIFIED) + [a for acts, _, _ in ACTION_RULES for a in acts]:
        if a not in levels:
            print(f"warning: hand-classified action not in catalogue: {a}", file=sys.stderr)
    for a in UNCLASSIFIED:
        assert a not in k9caps, f"{a} is both k9-mapped and unclassified"

    caps_of = {}
    rule_of = {}
    for full in all_actions:
        prefix, name = full.split(":", 1)
        caps, rule = classify(prefix, name, levels[full], k9caps, rules)
        assert caps, f"{full}: no capability"
        assert all(c in CAPABILITIES for c in caps), full
        assert UNCL not in caps or caps == {UNCL}, f"{full}: unclassified mixed with others"
        caps_of[full] = caps
        rule_of[full] = rule

    # -- invariants ---------------------------------------------------------------------------
    for full, caps in k9caps.items():
        assert caps_of[full] == caps, f"{full}: k9 mapping not preserved"
    for cap, entries in SEED_000_S3.items():
        for e in entries:
            if e.lower() in index:
                assert cap in caps_of[index[e.lower()]], f"seed 000 S3: {e} lacks {cap}"
    for e in STS_ASSUME:
        assert USE in caps_of[e], f"{e} must be use-resource"
    unclassified = sorted(a for a, c in caps_of.items() if UNCL in c)
    assert unclassified == sorted(a for a in UNCLASSIFIED if a in levels), unclassified

    with open(args.policies, encoding="utf-8") as f:
        policies = json.load(f)
    ro_doc = policies["ReadOnlyAccess"]["document"]
    ro_actions = policy_allowed_actions(ro_doc, all_actions)
    # k9's published lists are authoritative; where they disagree with ReadOnlyAccess the
    # conflict is reported, not asserted. Every other action must be read-only.
    fmt = lambda a: f"{a} -> {','.join(c for c in CAPABILITIES if c in caps_of[a])}"
    ro_k9_conflicts = sorted(fmt(a) for a in ro_actions
                             if not caps_of[a] <= READ_ONLY_CAPS and a in k9caps)
    ro_violations = sorted(fmt(a) for a in ro_actions
                           if not caps_of[a] <= READ_ONLY_CAPS and a not in k9caps)
    assert not ro_violations, "ReadOnlyAccess grants non-read capabilities:\n  " + \
        "\n  ".join(ro_violations)
    assert not ro_k9_conflicts, "k9 mapping conflicts with ReadOnlyAccess (add to K9_CORRECTIONS):\n  " + \
        "\n  ".join(ro_k9_conflicts)

    # -- tables ---------------------------------------------------------------------------------
    os.makedirs(args.out, exist_ok=True)
    action_rows = [[a, ",".join(c for c in CAPABILITIES if c in caps_of[a]),
                    ",".join(resource_types[a])] for a in all_actions]
    assert len(action_rows) == len(set(r[0] for r in action_rows)) == len(levels)
    write_tsv(os.path.join(args.out, "actions.tsv"),
              ["action", "capabilities", "resource_types"], action_rows)

    names = {}
    used = {}
    for prefix in sorted(catalogue):
        n = short_service_name(prefix, catalogue[prefix]["service_name"])
        if n.lower() in used:
            print(f"note: service name {n!r} of {prefix} collides with {used[n.lower()]}; "
                  f"using the prefix", file=sys.stderr)
            n = prefix
            assert n.lower() not in used, n
        used[n.lower()] = prefix
        names[prefix] = n
    write_tsv(os.path.join(args.out, "services.tsv"), ["prefix", "service_name"],
              [[p, names[p]] for p in sorted(names)])

    rt_rows = sorted([p, rt, arn] for p, svc in catalogue.items()
                     for rt, arn in (svc.get("resources") or {}).items())
    write_tsv(os.path.join(args.out, "resource_types.tsv"),
              ["prefix", "resource_type", "arn_pattern"], rt_rows)

    # -- summary --------------------------------------------------------------------------------
    per_cap = collections.Counter(c for caps in caps_of.values() for c in caps)
    per_src = collections.Counter(r.split("#")[0] for r in rule_of.values())
    multi = sum(1 for caps in caps_of.values() if len(caps) > 1)
    no_admin = sorted(p for p in catalogue
                      if not any(ADMIN in caps_of[f"{p}:{n}"] for n in catalogue[p]["actions"]))
    print(f"actions: {len(all_actions)}  prefixes: {len(catalogue)}  "
          f"resource types: {len(rt_rows)}  multi-capability actions: {multi}")
    print("actions per capability:")
    for c in CAPABILITIES:
        print(f"  {c:20} {per_cap[c]}")
    print("actions per rule layer: " + ", ".join(
        f"{k}={per_src[k]}" for k in ("k9", "unclassified", "action", "s3-family", "service",
                                      "name")))
    print(f"unclassified-access ({len(unclassified)}): " + ", ".join(unclassified))
    print(f"k9/seed entries not in the catalogue ({len(k9_missing)}): " + ", ".join(k9_missing))
    print(f"ReadOnlyAccess: {len(ro_actions)} catalogue actions allowed; all read-config/read-data "
          f"except k9-mapped ({len(ro_k9_conflicts)}): " + ", ".join(ro_k9_conflicts))
    print(f"prefixes without any administer-resource action ({len(no_admin)}): " +
          ", ".join(no_admin))
    return 0


if __name__ == "__main__":
    sys.exit(main())

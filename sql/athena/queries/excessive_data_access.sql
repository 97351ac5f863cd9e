-- Seed 002: which principals have excessive access to data?
-- Principals by the number of data resources they can read, write or delete, confidential
-- ones counted apart; service-wide grants (empty resource_arn) count as every resource.
SELECT pas.account_id, pas.principal_name, pas.principal_arn,
       count(DISTINCT pas.resource_arn) AS data_resources,
       count(DISTINCT CASE WHEN pas.resource_tag_confidentiality IS NOT NULL
                           THEN pas.resource_arn END) AS tagged_confidential,
       max(CASE WHEN pas.resource_arn IS NULL THEN 1 ELSE 0 END) = 1 AS service_wide
FROM k9.principal_access_summaries_latest as pas
WHERE pas.access_capability IN ('read-data', 'write-data', 'delete-data')
GROUP BY pas.account_id, pas.principal_name, pas.principal_arn
ORDER BY data_resources DESC, pas.principal_arn
;

-- Seed 002: which data resources are overly accessible?
-- Data resources by how many principals can read, write or delete their data; anyone ('*')
-- and whole other accounts count as holders too (principal_type Anyone / AWSAccount).
SELECT ras.account_id, ras.resource_arn, ras.resource_tag_confidentiality,
       count(DISTINCT ras.principal_arn) AS holders,
       count(DISTINCT CASE WHEN ras.principal_type IN ('Anyone', 'AWSAccount', 'AWSPrincipal')
                           THEN ras.principal_arn END) AS broad_holders,
       count(DISTINCT CASE WHEN ras.access_capability = 'delete-data'
                           THEN ras.principal_arn END) AS can_delete
FROM k9.resource_access_summaries_latest as ras
WHERE ras.access_capability IN ('read-data', 'write-data', 'delete-data')
  AND ras.resource_arn NOT LIKE 'arn:aws:iam::%'
GROUP BY ras.account_id, ras.resource_arn, ras.resource_tag_confidentiality
ORDER BY broad_holders DESC, holders DESC, ras.resource_arn
;

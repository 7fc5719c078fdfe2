-- Issue #16 (clustered mode): what every node of one deployment must agree on, checked at each start before the node
-- joins its cluster (cluster/Deployment). One row, written by the first start on this database.
CREATE TABLE deployment (
  id                smallint PRIMARY KEY CHECK (id = 1),
  -- names the deployment: the Hazelcast cluster name is derived from it (unless CLUSTER_NAME is set), so nodes on
  -- one database always find each other and two deployments on one network never merge
  deployment_id     uuid NOT NULL DEFAULT gen_random_uuid(),
  -- a fixed text sealed with SECRETS_KEY (AES-GCM): a node whose key can't open it can't open the stored keys either
  secrets_key_check text NOT NULL,
  -- HMAC-SHA256 of a fixed text under JWT_SECRET (base64): a node with another secret would refuse every token the
  -- other nodes sign, and sign tokens they refuse
  jwt_secret_check  text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

"""Running the product: who may read its metrics (ciam_portal/metrics.py, docs/operations.md)."""

import ipaddress

from ciam_portal.environment import env_list, env_str

# A bearer token the Prometheus scraper sends (`authorization` in its scrape config); unset, no
# token is asked, and the networks below alone decide.
CIAM_METRICS_TOKEN = env_str("CIAM_METRICS_TOKEN")
# The addresses a scrape may come from, as the web node sees the connection (never a forwarded
# header): loopback by default; a container network's range, or 0.0.0.0/0 and ::/0 with a
# token, where the scraper runs elsewhere.
CIAM_METRICS_NETWORKS = tuple(
    ipaddress.ip_network(network, strict=False)
    for network in env_list("CIAM_METRICS_NETWORKS", ["127.0.0.0/8", "::1/128"])
)

#!/usr/bin/env sh
# Print the offline Terraform provider mirror for `terraform init -plugin-dir`: TF_PLUGIN_DIR when
# it names a directory; else the first directory on this machine that holds
# registry.terraform.io/hashicorp/aws/<version>/<os_arch>/terraform-provider-aws_* (machines
# without registry access ship one); else nothing. The one search behind mk/terraform.mk, .ci/run
# (through make) and tests/infra (infra_helpers.plugin_dir).
set -u
if [ -n "${TF_PLUGIN_DIR:-}" ] && [ -d "$TF_PLUGIN_DIR" ]; then
  printf '%s\n' "$TF_PLUGIN_DIR"
  exit 0
fi
# Usual install places first (fast), then the whole root file system.
for root in /opt /usr/local /usr/share "${HOME:-/nonexistent}/.terraform.d" /; do
  [ -d "$root" ] || continue
  provider=$(find "$root" -xdev -maxdepth 8 -type f -name 'terraform-provider-aws_*' \
    -path '*/registry.terraform.io/hashicorp/aws/*' -not -path '*/.terraform/*' 2>/dev/null | head -n 1)
  if [ -n "$provider" ]; then
    printf '%s\n' "${provider%%/registry.terraform.io/*}"
    exit 0
  fi
done
exit 0

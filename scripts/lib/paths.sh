# Where scripts/setup puts each tool, derived from scripts/tool-versions.env.
# Source after tool-versions.env. SECRET_MANIFESTS_CACHE moves the whole cache.
SM_CACHE="${SECRET_MANIFESTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/secret-manifests}"
SM_NODE_DIR="$SM_CACHE/node-$NODE_VERSION"
SM_MOTO_DIR="$SM_CACHE/moto-$MOTO_VERSION"
SM_SOPS_DIR="$SM_CACHE/sops-$SOPS_VERSION"
SM_AGE_DIR="$SM_CACHE/age-$AGE_VERSION"
SM_PULUMI_DIR="$SM_CACHE/pulumi-$PULUMI_VERSION"
SM_LANGUAGE_HOST_DIR="$SM_CACHE/pulumi-language-nodejs-$LANGUAGE_HOST_COMMIT"

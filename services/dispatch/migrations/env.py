from services.common.migrations import run_env
from services.dispatch.adapters.orm import metadata

run_env(metadata)

"""Athena: the API calls the provider needs for workgroups and saved queries."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass

log = logging.getLogger("localcloud.extensions")


def tags_for_untagged_resources() -> None:
    """Gap: ListTagsForResource on an existing but untagged workgroup answers "does not exist",
    which makes the provider fail reading back a workgroup it just created."""
    from moto.athena.responses import AthenaResponse

    original = AthenaResponse.list_tags_for_resource

    def list_tags_for_resource(self: AthenaResponse) -> Any:
        arn = self._get_param("ResourceARN")
        backend = self.athena_backend
        name = arn.rsplit("/", 1)[-1]
        exists = name in backend.work_groups or name in getattr(backend, "data_catalogs", {})
        if exists and not backend.tagger.has_tags(arn):
            return json.dumps({"Tags": []})
        return original(self)

    AthenaResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


def delete_named_query() -> None:
    """Gap: DeleteNamedQuery is not implemented, so destroying the saved queries hangs."""
    from moto.athena.responses import AthenaResponse

    def delete_named_query(self: AthenaResponse) -> str:
        self.athena_backend.named_queries.pop(self._get_param("NamedQueryId"), None)
        return json.dumps({})

    AthenaResponse.delete_named_query = delete_named_query  # type: ignore[attr-defined]

import json
from tests.support import JSON, SCIM

USER = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId": "user1", "userName": "user1@example.org", "active": True, "displayName": "User One",
 "emails": [{"primary": True, "type": "work", "value": "user1@example.org"}],
 "name": {"formatted": "User One", "familyName": "One", "givenName": "User"},
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1001", "department": "R&D"},
 "meta": {"resourceType": "User"}, "roles": []}

async def test_smoke(client):
    r = await client.post(f"{SCIM}/Users", data=json.dumps(USER), headers=JSON)
    body = await r.json(content_type=None)
    print(r.status, body)
    assert r.status == 201
    r = await client.get(f"{SCIM}/Users", params={"filter": 'userName eq "USER1@example.org"'})
    print(await r.json(content_type=None))
    uid = body["id"]
    r = await client.patch(f"{SCIM}/Users/{uid}", data=json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Replace", "path": "active", "value": "False"}, {"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"1 Example St"}]}), headers=JSON)
    print(r.status, await r.json(content_type=None))
    g = await client.post(f"{SCIM}/Groups", data=json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"], "externalId": "5f0c2b7e", "displayName": "Group One", "meta": {"resourceType": "Group"}}), headers=JSON)
    gb = await g.json(content_type=None); print(g.status, gb)
    r = await client.patch(f"{SCIM}/Groups/{gb['id']}", data=json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": uid}]}]}), headers=JSON)
    print(r.status)
    r = await client.get(f"{SCIM}/Groups/{gb['id']}")
    print(await r.json(content_type=None))
    r = await client.delete(f"{SCIM}/Users/{uid}")
    print(r.status)
    r = await client.get(f"{SCIM}/Groups/{gb['id']}")
    print(await r.json(content_type=None))

"""A kill in the middle of a server-group update: some membership calls landed, the rest did not.

Found by the convergence campaign (kill seed 100098): recovery re-ran the update from the journal's
prior, so it added servers the killed run had already added and the cloud refused the whole call
("duplicated value of ServerID and Port"); the next apply could never finish. Recovery now diffs from
what the cloud holds.
"""

from __future__ import annotations

from planner.addresses import ResourceAddress
from planner.apply import recover
from planner.emulator import Emulator
from planner.providers.alicloud import AlicloudProvider
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport
from planner.state.journal import Journal
from planner.state.model import ResourceState, State

GROUP = ResourceAddress("alicloud_slb_server_group", "app")


def _world(emu: Emulator) -> tuple[str, list[str]]:
    vpc = emu.call("Vpc", "CreateVpc", {"CidrBlock": "172.16.0.0/12"})["VpcId"]
    vsw = emu.call("Vpc", "CreateVSwitch", {"VpcId": vpc, "ZoneId": "cn-hangzhou-h",
                                            "CidrBlock": "172.16.0.0/24"})["VSwitchId"]
    sg = emu.call("Ecs", "CreateSecurityGroup", {"VpcId": vpc})["SecurityGroupId"]
    ecs = emu.call("Ecs", "RunInstances", {"InstanceType": "ecs.g6.large", "VSwitchId": vsw,
                                           "ImageId": "ubuntu_22_04_x64_20G_alibase_20240508.vhd",
                                           "SecurityGroupId": sg, "Amount": 3})["InstanceIdSets"]["InstanceIdSet"]
    lb = emu.call("Slb", "CreateLoadBalancer", {"LoadBalancerSpec": "slb.s2.small", "VSwitchId": vsw,
                                                "AddressType": "intranet"})["LoadBalancerId"]
    return lb, list(ecs)


def _servers(ids: list[str], port: int, weight: int) -> dict:
    return {"server_ids": ids, "port": port, "weight": weight, "type": "ecs"}


def test_recovery_of_a_half_done_group_update_finishes_it(tmp_path):
    emu = Emulator(tmp_path / "cloud.sqlite")
    lb, (a, b, c) = _world(emu)
    provider = AlicloudProvider(InProcessTransport(emu), retry=RetryPolicy(max_attempts=3, base_delay=0.001),
                                poll_interval=0.001, poll_timeout=5)
    handler = provider.handler(GROUP.type)
    ctx = provider.context(token_fn=lambda step: f"t-{step}")
    prior = handler.create({"load_balancer_id": lb, "name": "app", "servers": [_servers([a], 9000, 1)]}, ctx)
    planned = dict(prior, servers=[_servers([b], 80, 50), _servers([c], 80, 0)])

    state = State(lineage="partial-update")
    state.resources[GROUP] = ResourceState(GROUP, prior["id"], prior)
    journal = Journal(tmp_path / "journal.jsonl")
    journal.intent("tok-update", GROUP, "update", {"prior": prior, "planned": planned})
    # the killed run got as far as adding one new member, then died before the next call
    emu.call("Slb", "AddVServerGroupBackendServers", {
        "VServerGroupId": prior["id"],
        "BackendServers": f'[{{"ServerId": "{b}", "Port": 80, "Weight": 50}}]'})

    state = recover(journal, provider, state)

    members = emu.call("Slb", "DescribeVServerGroupAttribute", {"VServerGroupId": prior["id"]})
    got = sorted((s["ServerId"], int(s["Port"]), int(s["Weight"]))
                 for s in members["BackendServers"]["BackendServer"])
    assert got == sorted([(b, 80, 50), (c, 80, 0)])
    assert not journal.pending()
    assert sorted(m["server_ids"][0] for m in state.resources[GROUP].attributes["servers"]) == sorted([b, c])

# ENI backends: the primary and a secondary IP of an elastic network interface.
#
# Seed concepts:
# - A CLB backend can be an ENI (elastic network interface) attached to an ECS instance, not
#   only the instance itself. Both the ENI's primary private IP and its secondary private IPs
#   can be added, each as its own backend (server_id = the ENI id, server_ip = the IP).
# - Only performance-guaranteed instances (a load_balancer_spec, or pay-by-LCU) accept ENI
#   backends; the ENI and the load balancer must be in the same VPC.

provider "alicloud" {
  region = "cn-hangzhou"
}

locals {
  prefix = "mesh-eni"
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

data "alicloud_instance_types" "multi_nic" {
  eni_amount = 2
  sorted_by  = "CPU"
}

data "alicloud_images" "ubuntu" {
  name_regex = "^ubuntu_22_04"
  os_type    = "linux"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.prefix}-vpc"
  cidr_block = "172.30.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.30.8.0/24"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = "${local.prefix}-vsw"
}

resource "alicloud_security_group" "mesh" {
  security_group_name = "${local.prefix}-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "host" {
  count           = 2
  instance_name   = "${local.prefix}-host-${count.index}"
  image_id        = data.alicloud_images.ubuntu.ids[0]
  instance_type   = data.alicloud_instance_types.multi_nic.ids[0]
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.mesh.id]
}

# A secondary ENI with a fixed primary IP and two secondary IPs the cloud picks, on host[0].
resource "alicloud_ecs_network_interface" "sidecar" {
  network_interface_name             = "${local.prefix}-sidecar"
  vswitch_id                         = alicloud_vswitch.main.id
  security_group_ids                 = [alicloud_security_group.mesh.id]
  primary_ip_address                 = "172.30.8.20"
  secondary_private_ip_address_count = 2
}

resource "alicloud_ecs_network_interface_attachment" "sidecar" {
  instance_id          = alicloud_instance.host[0].id
  network_interface_id = alicloud_ecs_network_interface.sidecar.id
}

# The same kind of ENI under the provider's older resource names, on host[1].
resource "alicloud_network_interface" "legacy" {
  name            = "${local.prefix}-legacy"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.mesh.id]
  private_ip      = "172.30.8.30"
}

resource "alicloud_network_interface_attachment" "legacy" {
  instance_id          = alicloud_instance.host[1].id
  network_interface_id = alicloud_network_interface.legacy.id
}

# Performance-guaranteed: required for ENI backends.
resource "alicloud_slb_load_balancer" "mesh" {
  load_balancer_name = "${local.prefix}-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

# Default group: the ENI's primary IP and one of its secondary IPs, as two backends
# (the secondary IP is known after the ENI is created; the plan shows it as such).
resource "alicloud_slb_backend_server" "sidecar" {
  load_balancer_id = alicloud_slb_load_balancer.mesh.id

  backend_servers {
    server_id = alicloud_ecs_network_interface.sidecar.id
    type      = "eni"
    server_ip = alicloud_ecs_network_interface.sidecar.primary_ip_address
    weight    = 100
  }
  backend_servers {
    server_id = alicloud_ecs_network_interface.sidecar.id
    type      = "eni"
    server_ip = sort(alicloud_ecs_network_interface.sidecar.private_ip_addresses)[0]
    weight    = 50
  }
}

# A VServer group mixing an ENI and a plain ECS instance.
resource "alicloud_slb_server_group" "grpc" {
  load_balancer_id = alicloud_slb_load_balancer.mesh.id
  name             = "${local.prefix}-grpc"
  servers {
    server_ids = [alicloud_network_interface.legacy.id]
    port       = 50051
    type       = "eni"
  }
  servers {
    server_ids = [alicloud_instance.host[1].id]
    port       = 50051
    weight     = 20
  }
}

resource "alicloud_slb_listener" "envoy" {
  load_balancer_id = alicloud_slb_load_balancer.mesh.id
  protocol         = "tcp"
  frontend_port    = 15001
  backend_port     = 15001
  bandwidth        = 50
}

resource "alicloud_slb_listener" "grpc" {
  load_balancer_id         = alicloud_slb_load_balancer.mesh.id
  protocol                 = "tcp"
  frontend_port            = 50051
  server_group_id          = alicloud_slb_server_group.grpc.id
  bandwidth                = 50
  proxy_protocol_v2_enabled = true
}

output "eni_backend_ips" {
  value = [for s in alicloud_slb_backend_server.sidecar.backend_servers : s.server_ip]
}

# The objects around a load balancer: security group rules, key pairs for the backends and, for an
# intranet load balancer, an EIP that gives it a public address.
#
# Seed concept: the load balancer forwards to ECS instances in a VPC; their security group must let
# the load balancer's traffic in (here: the listener's backend port from the VPC), and SSH only from
# a bastion group. A security group refuses a rule it already has and holds at most 200 rules:
# clbplan checks both before any call. The key pair is made by the cloud (with key_file set, its
# private key is saved there once, mode 0400); an imported one only uploads a public key.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "name" {
  default = "tf-network-access"
}

variable "admin_public_key" {
  description = "OpenSSH public key of the administrators (imported, never a private key)."
  default     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFgjDddyg4rtemDbAlWgnMfnqHB0dkt/ImGzJIYrGdYt admin@example.com"
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

data "alicloud_instance_types" "default" {
  availability_zone = data.alicloud_zones.default.zones[0].id
  cpu_core_count    = 2
  memory_size       = 8
}

data "alicloud_images" "default" {
  name_regex  = "^ubuntu_[0-9]+_[0-9]+_x64*"
  most_recent = true
  owners      = "system"
}

resource "alicloud_vpc" "default" {
  vpc_name   = var.name
  cidr_block = "172.16.0.0/16"
}

resource "alicloud_vswitch" "default" {
  vpc_id       = alicloud_vpc.default.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = var.name
}

resource "alicloud_security_group" "web" {
  security_group_name = "${var.name}-web"
  vpc_id              = alicloud_vpc.default.id
}

resource "alicloud_security_group" "bastion" {
  security_group_name = "${var.name}-bastion"
  vpc_id              = alicloud_vpc.default.id
}

resource "alicloud_security_group_rule" "allow_lb" {
  type              = "ingress"
  ip_protocol       = "tcp"
  nic_type          = "intranet"
  policy            = "accept"
  port_range        = "8080/8080"
  priority          = 1
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = alicloud_vpc.default.cidr_block
  description       = "listener backend port, from the VPC"
}

resource "alicloud_security_group_rule" "ssh_from_bastion" {
  type                     = "ingress"
  ip_protocol              = "tcp"
  port_range               = "22/22"
  security_group_id        = alicloud_security_group.web.id
  source_security_group_id = alicloud_security_group.bastion.id
}

resource "alicloud_security_group_rule" "ping" {
  type              = "ingress"
  ip_protocol       = "icmp"
  port_range        = "-1/-1"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "172.16.0.0/16"
}

resource "alicloud_security_group_rule" "deny_metadata_abuse" {
  type              = "egress"
  ip_protocol       = "all"
  policy            = "drop"
  priority          = 100
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "192.168.0.0/16"
}

resource "alicloud_ecs_key_pair" "deploy" {
  key_pair_name = "${var.name}-deploy"
  # key_file = "deploy.pem" would save the private key the cloud makes (once, mode 0400)
}

resource "alicloud_key_pair" "admin" {
  key_name   = "${var.name}-admin"
  public_key = var.admin_public_key
}

resource "alicloud_instance" "web" {
  count           = 2
  image_id        = data.alicloud_images.default.images[0].id
  instance_type   = data.alicloud_instance_types.default.instance_types[0].id
  instance_name   = "${var.name}-web-${count.index}"
  security_groups = [alicloud_security_group.web.id]
  vswitch_id      = alicloud_vswitch.default.id
  key_name        = alicloud_ecs_key_pair.deploy.key_pair_name
}

resource "alicloud_slb_load_balancer" "default" {
  load_balancer_name = var.name
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.default.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_backend_server" "default" {
  load_balancer_id = alicloud_slb_load_balancer.default.id
  dynamic "backend_servers" {
    for_each = alicloud_instance.web
    content {
      server_id = backend_servers.value.id
      weight    = 100
    }
  }
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.default.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 8080
  bandwidth        = -1
}

# An intranet load balancer has no public address: an EIP gives it one (an internet load balancer
# refuses an EIP, and a load balancer takes one EIP).
resource "alicloud_eip_address" "lb" {
  address_name         = "${var.name}-lb"
  bandwidth            = "10"
  internet_charge_type = "PayByTraffic"
  payment_type         = "PayAsYouGo"
  isp                  = "BGP"
}

resource "alicloud_eip_association" "lb" {
  allocation_id = alicloud_eip_address.lb.id
  instance_id   = alicloud_slb_load_balancer.default.id
  instance_type = "SlbInstance"
}

output "public_address" {
  value = alicloud_eip_address.lb.ip_address
}

output "deploy_key_fingerprint" {
  value = alicloud_ecs_key_pair.deploy.finger_print
}

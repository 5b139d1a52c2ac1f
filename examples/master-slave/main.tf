# Master-slave (primary/secondary) server groups behind a TCP and a UDP listener.
#
# Seed concepts:
# - A master-slave group holds exactly two servers: one Master that takes all the traffic and
#   one Slave that takes over when the Master fails its health check (the Slave itself is not
#   health-checked). Traffic returns to the Master once it is healthy again.
# - Only TCP and UDP listeners can use a master-slave group.
# - The cloud cannot modify such a group: any change replaces it.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "db_port" {
  type    = number
  default = 5432
}

locals {
  prefix = "ledger-ha"
  roles  = ["primary", "standby"]
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

data "alicloud_instance_types" "db" {
  instance_type_family = "ecs.g6"
  cpu_core_count       = 2
}

data "alicloud_images" "linux" {
  name_regex  = "^aliyun_3"
  most_recent = true
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.prefix}-vpc"
  cidr_block = "192.168.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "192.168.10.0/24"
  zone_id      = data.alicloud_zones.default.zones[2].id
  vswitch_name = "${local.prefix}-vsw"
}

resource "alicloud_security_group" "db" {
  security_group_name = "${local.prefix}-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "node" {
  count           = length(local.roles)
  instance_name   = "${local.prefix}-${local.roles[count.index]}"
  image_id        = data.alicloud_images.linux.images[0].id
  instance_type   = data.alicloud_instance_types.db.ids[0]
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.db.id]
}

resource "alicloud_slb_load_balancer" "ha" {
  load_balancer_name = "${local.prefix}-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.medium"
  delete_protection  = "off"
}

# TCP: database connections go to node[0]; node[1] is the standby.
resource "alicloud_slb_master_slave_server_group" "db_tcp" {
  load_balancer_id = alicloud_slb_load_balancer.ha.id
  name             = "${local.prefix}-db"

  servers {
    server_id   = alicloud_instance.node[0].id
    port        = var.db_port
    weight      = 100
    server_type = "Master"
  }
  servers {
    server_id   = alicloud_instance.node[1].id
    port        = var.db_port
    weight      = 100
    server_type = "Slave"
  }
}

# UDP: a syslog collector with the roles reversed, so each node is Master of one service.
resource "alicloud_slb_master_slave_server_group" "syslog_udp" {
  load_balancer_id = alicloud_slb_load_balancer.ha.id
  name             = "${local.prefix}-syslog"

  servers {
    server_id   = alicloud_instance.node[1].id
    port        = 514
    server_type = "Master"
  }
  servers {
    server_id   = alicloud_instance.node[0].id
    port        = 514
    server_type = "Slave"
  }
}

resource "alicloud_slb_listener" "db" {
  load_balancer_id             = alicloud_slb_load_balancer.ha.id
  protocol                     = "tcp"
  frontend_port                = var.db_port
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.db_tcp.id
  bandwidth                    = 50
  health_check_connect_port    = var.db_port
  health_check_interval        = 3
  # a failed Master is detected after 3 checks x 3 s; then the Slave takes over
  unhealthy_threshold = 3
  healthy_threshold   = 2
}

resource "alicloud_slb_listener" "syslog" {
  load_balancer_id             = alicloud_slb_load_balancer.ha.id
  protocol                     = "udp"
  frontend_port                = 514
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.syslog_udp.id
  bandwidth                    = 10
}

output "listeners" {
  value = {
    tcp = "${alicloud_slb_listener.db.protocol}:${alicloud_slb_listener.db.frontend_port}"
    udp = "${alicloud_slb_listener.syslog.protocol}:${alicloud_slb_listener.syslog.frontend_port}"
  }
}

# attachments_batched (after): Three servers attached to one group as separate resources: same batch key, serialised on the load balancer.

provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "scn-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "scn-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "scn-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 3
  instance_name   = "scn-web-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "scn-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
  delete_protection  = "off"
}

resource "alicloud_slb_server_group" "app" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  name             = "app"
}

resource "alicloud_slb_server_group_server_attachment" "member" {
  count           = 3
  server_group_id = alicloud_slb_server_group.app.id
  server_id       = alicloud_instance.web[count.index].id
  port            = 8080
  weight          = 100
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.app.id
  bandwidth        = -1
}

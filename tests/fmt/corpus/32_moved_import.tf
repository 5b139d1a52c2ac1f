moved {
from = alicloud_slb_listener.a
to = alicloud_slb_listener.b
}
import {
to = alicloud_slb_load_balancer.lb
id = "lb-123"
}
removed {
from = alicloud_slb_acl.old
lifecycle {
destroy = false
}
}

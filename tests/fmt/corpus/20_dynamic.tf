resource "alicloud_slb_acl" "acl" {
  name = "acl"
  dynamic "entry_attributes" {
    for_each = var.entries
    content {
      entry = entry_attributes.value.cidr
      comment = entry_attributes.value.note
    }
  }
  lifecycle {
    create_before_destroy = true
    ignore_changes = [tags]
  }
}

terraform {
}
locals {

}
provider "alicloud" {}

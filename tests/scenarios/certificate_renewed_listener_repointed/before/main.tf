# An HTTPS listener's certificate is renewed (new key and certificate): the cloud refuses to delete
# a certificate a listener uses, so the new one is uploaded first, the listener re-pointed, then the
# old one deleted.

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name   = "scn-renew"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_certificate" "shop" {
  name               = "scn-shop-example-com"
  server_certificate = <<-PEM
    -----BEGIN CERTIFICATE-----
    MIIDRTCCAi2gAwIBAgIUb5rEBS5TIF6RFQzuiNdmwexILB4wDQYJKoZIhvcNAQEL
    BQAwMjEZMBcGA1UEAwwQc2hvcC5leGFtcGxlLmNvbTEVMBMGA1UECwwMZ2VuZXJh
    dGlvbiAxMB4XDTI2MTIwNDIwNTkxM1oXDTM2MTIwMTIwNTkxM1owMjEZMBcGA1UE
    AwwQc2hvcC5leGFtcGxlLmNvbTEVMBMGA1UECwwMZ2VuZXJhdGlvbiAxMIIBIjAN
    BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAt26Zzz0R1S9855w2ZyWBy4EXUSP1
    681ECR9Vj8SHgizuDoXdRsz9bFy/4M3IisU79cwoNHO49K6yaVGes/AOwL0rKzbH
    6jdTyH9J0woCTx4THdwWrGELo3w1Bl3UO9Y8qomGrWmBF/GA9cSAn6Hr2mwR7hZ2
    jXxCf1gvIgYFy7FSabjtvq8JN+11nAHwnVL0dp6RrveBHwH9SAg5zqWIKY5o1Hy8
    W6E+7mOC/H9QjJL6Nk7f9qPYPZoDR0gwvO4NDMJ5XmyOlBsdY7XbNAaBVbLaa6tN
    Zh3cYaBXzby/n+69dB6ZWduxsxn1pFKr4/VXVhRMEZZ68ujeCvHhUMwyyQIDAQAB
    o1MwUTAdBgNVHQ4EFgQUbNioUX7hB2NKxIjISs6f2hEATk4wHwYDVR0jBBgwFoAU
    bNioUX7hB2NKxIjISs6f2hEATk4wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B
    AQsFAAOCAQEAJgWO548fXBdAyAeFj3VrzoJjE5mUVCjJdkDCfkToUyDYOp0P7XeK
    Z7aofHupPaxBkRFYejgbG7OqNyd8wIz5QHsJRygYrE83sAREhEpvWVdgjjxsc5D1
    1B9uFti4iAYaSo0hyez4fGgwZqQBuqVMhWssTG7jpoIGS20v0MqJQQ5+cx8P/+BQ
    Uko//jY0/5ARpMZOm3GcfPHv76GQHxxXqsDFmY6qu+l7EFxObAoZWxeLJEzs5liN
    NDQ6aGZmlgWjRhF0QONyJGZxkERZj+VTixrYxPxdB9TFM5cayF6DGOZR7ZBkUMFG
    1sZ6QsoLxyZfLHy27jywkaAON1LR5RUZ0w==
    -----END CERTIFICATE-----
  PEM
  private_key        = <<-PEM
    -----BEGIN PRIVATE KEY-----
    MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC3bpnPPRHVL3zn
    nDZnJYHLgRdRI/XrzUQJH1WPxIeCLO4Ohd1GzP1sXL/gzciKxTv1zCg0c7j0rrJp
    UZ6z8A7AvSsrNsfqN1PIf0nTCgJPHhMd3BasYQujfDUGXdQ71jyqiYataYEX8YD1
    xICfoevabBHuFnaNfEJ/WC8iBgXLsVJpuO2+rwk37XWcAfCdUvR2npGu94EfAf1I
    CDnOpYgpjmjUfLxboT7uY4L8f1CMkvo2Tt/2o9g9mgNHSDC87g0MwnlebI6UGx1j
    tds0BoFVstprq01mHdxhoFfNvL+f7r10HplZ27GzGfWkUqvj9VdWFEwRlnry6N4K
    8eFQzDLJAgMBAAECggEABhv0hV96nHEX/dPuXRYAVN1+6q8x9wlnjzkNpcEFL9pX
    T+EYucLPm8LaNPkkPpibetVdZJjS6PBNZXP9fy9FuIOHCxSIc5DQlSmwdQtHwNLm
    5AHTDf5EmlcYzNZbaxDuBT0ua3sLR1eTZKwSShlvxDRWTl8NvKrYq/UtNbAsaX3M
    akHEFYtf9Wpr+WutvKblDWLbpwufAwPlGwwV8AnpmVtL7is0a7nrmFC7FiKFrUy1
    Q2i5R3QtVlwWO5lvypUIfaGjB0+MzZEoie+JIrct9t6GKRICu3bfF7skHgKCq7u5
    BCCAcY3xB+MjAUbZ0UrZPF6KdVJTNWxeIZ3RVT+1MQKBgQDaGtG2//G6bCJRiWYb
    CeZPsszlq1CQ4wWvt+1Odl7NTL5K0UTyT0EQB/akZqJmFUkaUlU8Ja+YIctnyn9a
    RXvy/XNuUZ1d+2Ejib2JTUtTEP4pyEQ/ewuKncPm5ko67DxtLHTgLuB4SgP2baEu
    W62pgLFeQl7CzMf4EMou1kwRGQKBgQDXTY6+18jk7m+jDX5mzhD8SRwehoo4oKCg
    FHz9xfwwSZpDos2dp3NdnZjFK3Uma3TLLkgrdyNa8rFWs7zBaWCboZU/xCgLcASt
    5yfnsHqfkLkLrgpySIkyOkrBjKsGHhABVcn1ci/mXjZlIBV61mgnbtszdD1DLSlc
    ZfTIGuD1MQKBgQCRZu3GrWzO1oYui4YJopjrKw1UU9ibLu48jkbjVyCuh2oZYNgx
    HksGz/hK861yluAsbxUpywn8RxNet24dlVMj1Hoe4sQhwpOo6Iv2PBRqZVq8Kint
    lC9GkxTmG0MDczh5o/iq+DVnnBh2MfIRgMcOyJ/2chLQlUr/Atp3TSBbCQKBgQDR
    5u4UxuE3t/GkoGIsLhhHLau5Yudcn9UZXAAjlSLxnMBF0nHtkrQZf6zSBTU4WKjL
    8XowzfztDRCxe5e5ZFfoQtb0DPQReotFU8gGzHowGHMfnPTYSDlhe40oN1EBLMvj
    0VSM818Zk54qZuYqFOAEGcKg3mFfnabmSwwjDnlk8QKBgBbotGKgDqTgIZPQ4f8X
    0TrFQ37fIKLg5vfobw0LXnsYliDcnsHusRCYM4xMuwdvNxBtvcwvUgFdN2xefQMZ
    xm/avGXtxYegxPOM4TTINXy4sBLRjN1sQqblaU4ntuxjg+nLL3SB8NM7B1/OhPVy
    wxQxYgh8/3wjnYWZ4P6wFKn8
    -----END PRIVATE KEY-----
  PEM
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.shop.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 8080
  bandwidth             = 50
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  health_check_uri      = "/healthz"
}
